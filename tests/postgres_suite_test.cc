// The suite with every service on PostgreSQL (each its own database on one throwaway
// server): migrations, the order flow, idempotency and the no-oversell guarantee hold
// on the backend meant for scale as on SQLite.
#include <postgresql/libpq-fe.h>

#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/storage/testing/postgres_server.h"
#include "common/testing/time_scale.h"
#include "gtest/gtest.h"
#include "tests/testing/order_load.h"
#include "tests/testing/shop_scenarios.h"
#include "tests/testing/suite_test.h"

namespace baton::testing {
namespace {

constexpr const char* kServices[] = {"catalog", "inventory", "orders", "gateway"};

class PostgresSuiteTest : public SuiteTest {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<storage::testing::PostgresServer>> server =
        storage::testing::PostgresServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    Server() = *std::move(server);
    PGconn* admin = PQconnectdb(Server()->Conninfo().c_str());
    ASSERT_EQ(PQstatus(admin), CONNECTION_OK) << PQerrorMessage(admin);
    ShopSuite::Options options;
    const std::string base(absl::StripSuffix(Server()->Url(), "/postgres"));
    for (const char* service : kServices) {
      PGresult* created = PQexec(admin, absl::StrCat("CREATE DATABASE ", service).c_str());
      EXPECT_EQ(PQresultStatus(created), PGRES_COMMAND_OK) << PQerrorMessage(admin);
      PQclear(created);
      options.storage[service] = absl::StrCat(base, "/", service);
    }
    PQfinish(admin);
    // Reservations cut off by the restart test are settled within its bounded wait.
    options.flags["orders"] = {"--release_window=" +
                               absl::FormatDuration(Scaled(absl::Seconds(4)))};
    StartSuite(std::move(options));
  }

  static void TearDownTestSuite() {
    SuiteTest::TearDownTestSuite();
    Server().reset();
  }

  static std::unique_ptr<storage::testing::PostgresServer>& Server() {
    static std::unique_ptr<storage::testing::PostgresServer> server;
    return server;
  }
};

TEST_F(PostgresSuiteTest, OrderFlowAndRetryOnPostgres) {
  ASSERT_TRUE(suite().AddProduct("pg-tea", 400, 10).ok());
  const auto request = OrderOf("pg", {{"pg-tea", 3}});
  orders::v1::Order first, second;
  auto call = suite().ShopCall(absl::Seconds(10), {{"x-request-id", "pg-order-1"}});
  grpc::Status status = suite().shop().PlaceOrder(call.get(), request, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(first.total_cents(), 1200);
  auto retry = suite().ShopCall(absl::Seconds(10), {{"x-request-id", "pg-order-1"}});
  ASSERT_TRUE(suite().shop().PlaceOrder(retry.get(), request, &second).ok());
  EXPECT_EQ(second.order_id(), first.order_id());
  EXPECT_EQ(suite().Available("pg-tea"), 7);
  orders::v1::GetOrderRequest get;
  get.set_order_id(first.order_id());
  orders::v1::Order read;
  auto get_call = suite().ShopCall(absl::Seconds(10));
  ASSERT_TRUE(suite().shop().GetOrder(get_call.get(), get, &read).ok());
  EXPECT_EQ(read.lines_size(), 1);
}

TEST_F(PostgresSuiteTest, ConcurrentOrdersNeverOversellOnPostgres) {
  ExpectNoOversell(suite(), "pg-last", /*units=*/3, /*buyers=*/12);
}

// PostgreSQL restarted (a fast shutdown: every session cut) while orders flow: calls
// fail during the outage, none hangs, the pools replace their dead connections, and
// afterwards every unit of stock is accounted for.
TEST_F(PostgresSuiteTest, PostgresRestartedUnderLoadRecoversAndPoolsHeal) {
  ASSERT_TRUE(suite().AddProduct("pg-restart-tea", 100, 1000000).ok());
  OrderLoad load(suite(), {.sku = "pg-restart-tea",
                           .customer = "pg-restart",
                           .deadline = Scaled(absl::Seconds(2))});
  ASSERT_TRUE(load.AwaitMoreAcked(20, absl::Seconds(30)));
  ASSERT_TRUE(Server()->Restart().ok());
  // More than all pools' connections together: each dead one has been replaced.
  EXPECT_TRUE(load.AwaitMoreAcked(100, absl::Seconds(60))) << "traffic did not recover";
  load.Stop();

  int failed = 0;
  for (const auto& [code, count] : load.outcomes()) {
    if (code != grpc::StatusCode::OK) failed += count;
    EXPECT_NE(code, grpc::StatusCode::INTERNAL) << count << " calls failed INTERNAL";
    std::cerr << "outcome " << code << ": " << count << "\n";
  }
  EXPECT_GT(failed, 0) << "the restart went unnoticed: was it a restart?";
  EXPECT_LT(load.longest_overrun(), Scaled(absl::Milliseconds(500)));
  ExpectStockAccountedFor(suite(), "pg-restart-tea", 1000000, "pg-restart", load.acked());
}

}  // namespace
}  // namespace baton::testing
