// SIGTERM drains: health turns NOT_SERVING, new requests are refused, requests in
// flight finish (or are cancelled at the drain timeout), and the process exits 0.
#include <signal.h>

#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/testing/time_scale.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/testing/http_get.h"
#include "tests/testing/shop_suite.h"

namespace baton::testing {
namespace {

struct AsyncOrder {
  std::unique_ptr<grpc::ClientContext> call;
  orders::v1::PlaceOrderRequest request;
  orders::v1::Order order;
  grpc::Status status;
  absl::Notification done;
};

std::unique_ptr<AsyncOrder> StartOrder(ShopSuite& suite, const std::string& sku,
                                       const std::string& fault) {
  auto order = std::make_unique<AsyncOrder>();
  order->call = suite.ShopCall(absl::Seconds(20), {{"x-baton-fault", fault}});
  order->request = OrderOf("drain-customer", {{sku, 1}});
  AsyncOrder* raw = order.get();
  suite.shop().async()->PlaceOrder(raw->call.get(), &raw->request, &raw->order,
                                   [raw](grpc::Status status) {
                                     raw->status = std::move(status);
                                     raw->done.Notify();
                                   });
  return order;
}

// Waits until orders has nothing in flight. A call counts until gRPC has released it,
// which may be just after its caller has the answer: the suite's warm-up order can
// still count when a test begins, and would pass for one of the test's own.
void AwaitOrdersIdle(ShopSuite& suite) {
  ASSERT_TRUE(suite.AwaitMetricAtMost("orders", "baton_requests_in_flight", 0));
}

// Waits until orders has `n` requests in flight (its metrics port says so): each is
// inside its injected delay. Only after AwaitOrdersIdle, so that all `n` are the test's.
void AwaitOrdersInFlight(ShopSuite& suite, int n) {
  ASSERT_TRUE(suite.AwaitMetricAtLeast("orders", "baton_requests_in_flight", n));
}

TEST(ShutdownTest, SigtermDuringTrafficFinishesInFlightAndExitsZero) {
  absl::StatusOr<std::unique_ptr<ShopSuite>> suite = ShopSuite::Start();
  ASSERT_TRUE(suite.ok()) << suite.status();
  ShopSuite& shop = **suite;
  ASSERT_TRUE(shop.AddProduct("drain-tea", 100, 100).ok());
  AwaitOrdersIdle(shop);
  std::vector<std::unique_ptr<AsyncOrder>> orders;
  for (int i = 0; i < 4; ++i)
    orders.push_back(StartOrder(shop, "drain-tea", "orders=delay:1500ms"));
  AwaitOrdersInFlight(shop, 4);

  shop.process("orders").Signal(SIGTERM);
  for (auto& order : orders) {
    ASSERT_TRUE(order->done.WaitForNotificationWithTimeout(absl::Seconds(15)));
    EXPECT_TRUE(order->status.ok()) << order->status.error_message();
  }
  EXPECT_EQ(shop.process("orders").WaitFor(absl::Seconds(15)), 0);
  EXPECT_EQ(shop.Available("drain-tea"), 96);
  const std::string log = shop.Log("orders");
  EXPECT_TRUE(absl::StrContains(log, "\"event\":\"draining\"")) << log;
  EXPECT_TRUE(absl::StrContains(log, "\"event\":\"stopped\"")) << log;
  EXPECT_FALSE(absl::StrContains(log, "drain_timeout\",")) << log;
}

TEST(ShutdownTest, DrainTimeoutCancelsStragglersAndExitsZero) {
  absl::StatusOr<std::unique_ptr<ShopSuite>> suite =
      ShopSuite::Start({.flags = {{"orders", {"--drain_timeout=300ms"}}}});
  ASSERT_TRUE(suite.ok()) << suite.status();
  ShopSuite& shop = **suite;
  ASSERT_TRUE(shop.AddProduct("straggler-tea", 100, 10).ok());
  AwaitOrdersIdle(shop);
  auto order = StartOrder(shop, "straggler-tea", "orders=delay:20s");
  AwaitOrdersInFlight(shop, 1);

  const absl::Time signalled = absl::Now();
  shop.process("orders").Signal(SIGTERM);
  ASSERT_TRUE(order->done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(order->status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(absl::StrContains(order->status.error_message(), "shutting down"))
      << order->status.error_message();
  EXPECT_LT(absl::Now() - signalled, absl::Seconds(5) * TimeScale());
  EXPECT_EQ(shop.process("orders").WaitFor(absl::Seconds(10)), 0);
  EXPECT_EQ(shop.Available("straggler-tea"), 10);
}

TEST(ShutdownTest, DrainingServerIsNotServingAndRefusesNewRequests) {
  absl::StatusOr<std::unique_ptr<ShopSuite>> suite = ShopSuite::Start();
  ASSERT_TRUE(suite.ok()) << suite.status();
  ShopSuite& shop = **suite;
  ASSERT_TRUE(shop.AddProduct("health-tea", 100, 10).ok());
  AwaitOrdersIdle(shop);

  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(shop.address("orders"), grpc::InsecureChannelCredentials()));
  grpc::ClientContext watch_call;
  watch_call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  grpc::health::v1::HealthCheckRequest watch_request;
  auto watch = health->Watch(&watch_call, watch_request);
  grpc::health::v1::HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  auto slow = StartOrder(shop, "health-tea", "orders=delay:1500ms");
  AwaitOrdersInFlight(shop, 1);
  shop.process("orders").Signal(SIGTERM);

  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  absl::StatusOr<HttpResponse> healthz = HttpGet(shop.metrics_port("orders"), "/healthz");
  ASSERT_TRUE(healthz.ok()) << healthz.status();
  EXPECT_EQ(healthz->status, 503);
  EXPECT_FALSE(watch->Read(&update));  // The server ends watches when it drains.
  EXPECT_TRUE(watch->Finish().ok());

  grpc::ClientContext direct;
  direct.AddMetadata("x-baton-identity", "tester");
  orders::v1::Order refused;
  grpc::Status status =
      shop.orders().PlaceOrder(&direct, OrderOf("late", {{"health-tea", 1}}), &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();

  ASSERT_TRUE(slow->done.WaitForNotificationWithTimeout(absl::Seconds(15)));
  EXPECT_TRUE(slow->status.ok()) << slow->status.error_message();
  EXPECT_EQ(shop.process("orders").WaitFor(absl::Seconds(15)), 0);
}

}  // namespace
}  // namespace baton::testing
