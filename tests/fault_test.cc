// Faults under load, with real processes on loopback: a service killed and restarted,
// a service shut down while orders flow, a database file locked by someone else. After
// each, nothing the client was told is lost and every unit of stock is accounted for.
#include <signal.h>

#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/testing/time_scale.h"
#include "gtest/gtest.h"
#include "tests/testing/order_load.h"
#include "tests/testing/shop_suite.h"

namespace baton::testing {
namespace {

constexpr int64_t kInitialStock = 1000000;

// Short release window and reconnect backoff, so that recovery is seen within a test.
// The window still exceeds every call's deadline (it must: reservation_reconciler.h).
ShopSuite::Options FaultOptions() {
  return {.flags = {{"orders",
                     {"--release_window=" + absl::FormatDuration(Scaled(absl::Seconds(4)))}}},
          .common_flags = {"--max_reconnect_backoff=200ms"}};
}

// A suite started with `options`, warmed up, with `sku` in stock; null (with the test
// failed) if it would not start.
std::unique_ptr<ShopSuite> StartedSuite(const ShopSuite::Options& options, const std::string& sku,
                                        int64_t stock) {
  absl::StatusOr<std::unique_ptr<ShopSuite>> started = ShopSuite::Start(options);
  EXPECT_TRUE(started.ok()) << started.status();
  if (!started.ok()) return nullptr;
  absl::Status warm = (*started)->WarmUp();
  absl::Status added = (*started)->AddProduct(sku, 100, stock);
  EXPECT_TRUE(warm.ok() && added.ok()) << warm << added;
  if (!warm.ok() || !added.ok()) return nullptr;
  return *std::move(started);
}

// After a fault under `load`: traffic comes back by itself; then, with the load
// stopped, every call ended OK, unreachable or at its own deadline — never hung, never
// another error — and the stock of `sku` is accounted for.
void ExpectRecovery(ShopSuite& suite, OrderLoad& load, const std::string& sku,
                    const std::string& customer) {
  EXPECT_TRUE(load.AwaitMoreAcked(20, absl::Seconds(30))) << "traffic did not recover";
  load.Stop();
  for (const auto& [code, count] : load.outcomes()) {
    EXPECT_TRUE(code == grpc::StatusCode::OK || code == grpc::StatusCode::UNAVAILABLE ||
                code == grpc::StatusCode::DEADLINE_EXCEEDED)
        << count << " calls ended with code " << code;
  }
  // Each answered by its own deadline (with room for a loaded machine).
  EXPECT_LT(load.longest_overrun(), Scaled(absl::Milliseconds(500)));
  ExpectStockAccountedFor(suite, sku, kInitialStock, customer, load.acked());
}

TEST(FaultTest, InventoryKilledUnderLoadAnswersUnavailableAndRecovers) {
  std::unique_ptr<ShopSuite> started = StartedSuite(FaultOptions(), "kill-tea", kInitialStock);
  ASSERT_NE(started, nullptr);
  ShopSuite& suite = *started;
  OrderLoad load(suite, {.sku = "kill-tea", .customer = "kill", .deadline = Scaled(absl::Seconds(2))});
  ASSERT_TRUE(load.AwaitMoreAcked(20, absl::Seconds(30)));

  suite.process("inventory").Signal(SIGKILL);
  ASSERT_TRUE(suite.process("inventory").WaitFor(absl::Seconds(10)).has_value());
  const auto before_outage = load.outcomes();
  absl::SleepFor(absl::Seconds(1));
  EXPECT_GT(load.outcomes()[grpc::StatusCode::UNAVAILABLE],
            before_outage.count(grpc::StatusCode::UNAVAILABLE)
                ? before_outage.at(grpc::StatusCode::UNAVAILABLE)
                : 0)
      << "no call was answered UNAVAILABLE while inventory was down";

  ASSERT_TRUE(suite.Restart("inventory").ok());
  ExpectRecovery(suite, load, "kill-tea", "kill");
}

TEST(FaultTest, OrdersStoppedUnderLoadLosesNoAcknowledgedOrder) {
  ShopSuite::Options options = FaultOptions();
  options.flags["orders"].push_back("--drain_timeout=3s");
  std::unique_ptr<ShopSuite> started = StartedSuite(options, "term-tea", kInitialStock);
  ASSERT_NE(started, nullptr);
  ShopSuite& suite = *started;
  OrderLoad load(suite, {.sku = "term-tea", .customer = "term", .deadline = Scaled(absl::Seconds(2))});
  ASSERT_TRUE(load.AwaitMoreAcked(20, absl::Seconds(30)));

  const absl::Time signalled = absl::Now();
  suite.process("orders").Signal(SIGTERM);
  const std::optional<int> code = suite.process("orders").WaitFor(absl::Seconds(30));
  ASSERT_TRUE(code.has_value()) << "orders did not exit";
  EXPECT_EQ(*code, 0);
  // The drain timeout, the cancelled stragglers' grace, and room for a loaded machine.
  EXPECT_LT(absl::Now() - signalled, absl::Seconds(3) + Scaled(absl::Seconds(3)));
  const std::string log = suite.Log("orders");
  EXPECT_TRUE(absl::StrContains(log, "\"event\":\"stopped\"")) << log;

  ASSERT_TRUE(suite.Restart("orders").ok());
  ExpectRecovery(suite, load, "term-tea", "term");
}

// A PlaceOrder slowed at orders' storage calls (so that a process can be killed between
// its reservation and its commit), on a thread of its own.
class SlowOrder {
 public:
  SlowOrder(ShopSuite& suite, const std::string& request_id, int64_t quantity) {
    call_ = suite.ShopCall(absl::Seconds(30), {{"x-request-id", request_id},
                                               {"x-baton-fault", "orders.storage=delay:1s"}});
    thread_ = std::thread([this, &suite, quantity] {
      status_ = suite.shop().PlaceOrder(call_.get(), OrderOf("window", {{"window-tea", quantity}}),
                                        &order_);
    });
  }
  // Waits for the answer.
  grpc::Status Finish() {
    thread_.join();
    return status_;
  }
  const orders::v1::Order& order() const { return order_; }

 private:
  std::unique_ptr<grpc::ClientContext> call_;
  orders::v1::Order order_;
  grpc::Status status_;
  std::thread thread_;
};

void Kill(ShopSuite& suite, const std::string& service) {
  suite.process(service).Signal(SIGKILL);
  ASSERT_TRUE(suite.process(service).WaitFor(absl::Seconds(10)).has_value());
}

TEST(FaultTest, ReservationsCutOffByAKillAreSettledAfterTheReleaseWindow) {
  std::unique_ptr<ShopSuite> started = StartedSuite(FaultOptions(), "window-tea", 50);
  ASSERT_NE(started, nullptr);
  ShopSuite& suite = *started;

  // Inventory dies after reserving, before the commit: the order stands (the client was
  // told OK) and its reservation is committed once inventory is back.
  SlowOrder committed(suite, "window-commit", 2);
  ASSERT_FALSE(suite.AwaitLogLine("inventory", "Reserve", "window-commit").empty());
  // The log line is written just before the answer is sent: let the answer reach
  // orders (now in its 1 s storage delay before the commit) before inventory dies.
  absl::SleepFor(absl::Milliseconds(300));
  Kill(suite, "inventory");
  const grpc::Status told = committed.Finish();
  ASSERT_TRUE(told.ok()) << told.error_message();
  ASSERT_TRUE(suite.Restart("inventory").ok());

  // Orders dies after reserving, before storing: no order, and the reservation is
  // released once the restarted orders finds it past the window.
  SlowOrder released(suite, "window-release", 3);
  ASSERT_FALSE(suite.AwaitLogLine("inventory", "Reserve", "window-release").empty());
  Kill(suite, "orders");
  EXPECT_EQ(released.Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  ASSERT_TRUE(suite.Restart("orders").ok());

  ExpectStockAccountedFor(suite, "window-tea", 50, "window",
                          {{committed.order().order_id(), 2}});
  absl::StatusOr<inventory::v1::Stock> stock = suite.Stock("window-tea");
  ASSERT_TRUE(stock.ok());
  EXPECT_EQ(stock->committed(), 2);
  EXPECT_EQ(stock->available(), 48);
  // Logged once the reconciler's pass is over, which can be after the stock shows it.
  EXPECT_TRUE(suite.AwaitLogText("orders", "\"event\":\"reservations_reconciled\""));
}

TEST(FaultTest, DatabaseLockedByAnotherProcessEndsAtTheDeadline) {
  std::unique_ptr<ShopSuite> started = StartedSuite(FaultOptions(), "locked-tea", 100);
  ASSERT_NE(started, nullptr);
  ShopSuite& suite = *started;

  // Another program holds the write lock on inventory's database file.
  const std::string holder_log = suite.DatabasePath("inventory") + ".holder.log";
  absl::StatusOr<ChildProcess> holder = ChildProcess::Start(
      {"/usr/bin/python3", "-c",
       absl::StrCat("import sqlite3, sys, time\n"
                    "db = sqlite3.connect('", suite.DatabasePath("inventory"),
                    "', isolation_level=None)\n"
                    "db.execute('BEGIN EXCLUSIVE')\n"
                    "print('locked', flush=True)\n"
                    "time.sleep(60)\n")},
      holder_log);
  ASSERT_TRUE(holder.ok()) << holder.status();
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (!absl::StrContains(ReadFile(holder_log), "locked")) {
    ASSERT_LT(absl::Now(), give_up) << ReadFile(holder_log);
    absl::SleepFor(absl::Milliseconds(20));
  }

  const absl::Duration deadline = Scaled(absl::Milliseconds(300));
  inventory::v1::SetStockRequest set;
  set.set_sku("locked-tea");
  set.set_available(5);
  inventory::v1::Stock stock;
  grpc::ClientContext set_call;
  set_call.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  const absl::Time start = absl::Now();
  grpc::Status status = suite.inventory().SetStock(&set_call, set, &stock);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_LT(absl::Now() - start, deadline + Scaled(absl::Seconds(1)));

  // Through every hop: the order cannot reserve, and says so by its deadline.
  auto order_call = suite.ShopCall(deadline);
  orders::v1::Order order;
  const absl::Time order_start = absl::Now();
  status = suite.shop().PlaceOrder(order_call.get(), OrderOf("locked", {{"locked-tea", 1}}),
                                   &order);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_LT(absl::Now() - order_start, deadline + Scaled(absl::Seconds(1)));

  holder->Signal(SIGKILL);
  holder->WaitFor(absl::Seconds(10));
  // gRPC deadlines are relative: a Reserve that reached inventory late (as in a slow,
  // sanitized run) counts its budget from its arrival and may take the freed lock now.
  // Let it end, and the reconciler release what it took, before the stock is set.
  suite.AwaitMetricAtMost("inventory", "baton_requests_in_flight", 0);
  AwaitNothingReserved(suite, "locked-tea", absl::Seconds(60)).IgnoreError();
  EXPECT_TRUE(suite.SetStock("locked-tea", 5).ok());
  // The order given up at its deadline kept nothing: its reservation (if any) is gone.
  ExpectStockAccountedFor(suite, "locked-tea", 5, "locked", {});
}

}  // namespace
}  // namespace baton::testing
