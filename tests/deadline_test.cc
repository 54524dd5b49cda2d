// A caller's deadline and cancellation reach every hop: the work below stops, no order
// is stored, and the reservation (if one was made) is released.
#include <atomic>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/testing/time_scale.h"
#include "gtest/gtest.h"
#include "tests/testing/log_lines.h"
#include "tests/testing/suite_test.h"

namespace baton::testing {
namespace {

using DeadlineTest = SuiteTest;

// Orders stored for `customer`, read straight from orders as the suite's identity.
int CountOrders(ShopSuite& suite, const std::string& customer) {
  grpc::ClientContext call;
  call.AddMetadata("x-baton-identity", "tester");
  call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  orders::v1::ListOrdersRequest request;
  request.set_customer(customer);
  orders::v1::ListOrdersResponse response;
  grpc::Status status = suite.orders().ListOrders(&call, request, &response);
  return status.ok() ? response.orders_size() : -1;
}

// Stock comes back once the cleanup's release has run: wait for it, boundedly.
bool StockReturnsTo(ShopSuite& suite, const std::string& sku, int64_t expected) {
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (absl::Now() < give_up) {
    if (suite.Available(sku) == expected) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

// An x-baton-fault rule with a scaled duration: "inventory=delay:" + 500ms.
std::string Fault(const std::string& rule, absl::Duration delay) {
  return rule + absl::FormatDuration(Scaled(delay));
}

TEST_F(DeadlineTest, DeadlineWithSlowInventoryAbandonsWorkAndReleases) {
  ASSERT_TRUE(suite().AddProduct("dl-tea", 100, 10).ok());
  auto call =
      suite().ShopCall(Scaled(absl::Milliseconds(100)),
                       {{"x-request-id", "dl-slow-inventory"},
                        {"x-baton-fault", Fault("inventory=delay:", absl::Milliseconds(500))}});
  orders::v1::Order order;
  const absl::Time start = absl::Now();
  grpc::Status status =
      suite().shop().PlaceOrder(call.get(), OrderOf("dl-customer", {{"dl-tea", 2}}), &order);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  // Near 100 ms: generous for a loaded machine, far below the injected 500 ms.
  EXPECT_GE(took, Scaled(absl::Milliseconds(90)));
  EXPECT_LT(took, Scaled(absl::Milliseconds(400)));

  EXPECT_TRUE(StockReturnsTo(suite(), "dl-tea", 10));
  EXPECT_EQ(CountOrders(suite(), "dl-customer"), 0);
  // Inventory gave up its Reserve when the budget ran out, not after 500 ms.
  const std::string reserve = suite().AwaitLogLine("inventory", "Reserve", "dl-slow-inventory");
  ASSERT_FALSE(reserve.empty());
  EXPECT_TRUE(absl::StrContains(reserve, "DEADLINE_EXCEEDED")) << reserve;
  EXPECT_LT(DurationMs(reserve), 300 * TimeScale()) << reserve;
  // Orders released on its own short deadline, though the caller was gone. (The release
  // meets the same injected delay; under a sanitizer's time scale it may outlast its
  // budget, which is why only its having run is asserted.)
  EXPECT_FALSE(suite().AwaitLogLine("inventory", "Release", "dl-slow-inventory").empty());
}

TEST_F(DeadlineTest, DeadlineAfterTheReservationReleasesIt) {
  ASSERT_TRUE(suite().AddProduct("dl-kettle", 100, 5).ok());
  // Inventory reserves at once, but its answer is late: the deadline passes after the
  // stock was taken, and orders must give it back.
  auto call =
      suite().ShopCall(Scaled(absl::Milliseconds(150)),
                       {{"x-request-id", "dl-late-reply"},
                        {"x-baton-fault", Fault("inventory.reply=delay:", absl::Seconds(1))}});
  orders::v1::Order order;
  grpc::Status status = suite().shop().PlaceOrder(
      call.get(), OrderOf("dl-reply-customer", {{"dl-kettle", 2}}), &order);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  // Inventory's late answer never counted: its deadline passed, or (when the hops
  // above were slow to receive the call, so their relative deadlines lie later than
  // the client's) the caller's cancel reached it first.
  const std::string reserve = suite().AwaitLogLine("inventory", "Reserve", "dl-late-reply");
  EXPECT_TRUE(absl::StrContains(reserve, "DEADLINE_EXCEEDED") ||
              absl::StrContains(reserve, "\"code\":\"CANCELLED\""))
      << reserve;
  // The release ran (its own reply is late too, but the stock is back).
  EXPECT_FALSE(suite().AwaitLogLine("inventory", "Release", "dl-late-reply").empty());
  EXPECT_TRUE(StockReturnsTo(suite(), "dl-kettle", 5));
  EXPECT_EQ(CountOrders(suite(), "dl-reply-customer"), 0);
}

TEST_F(DeadlineTest, DeadlineWithSlowStorageAbandonsWork) {
  ASSERT_TRUE(suite().AddProduct("dl-coffee", 100, 10).ok());
  auto call =
      suite().ShopCall(Scaled(absl::Milliseconds(150)),
                       {{"x-request-id", "dl-slow-storage"},
                        {"x-baton-fault", Fault("orders.storage=delay:", absl::Seconds(2))}});
  orders::v1::Order order;
  grpc::Status status = suite().shop().PlaceOrder(
      call.get(), OrderOf("dl-storage-customer", {{"dl-coffee", 1}}), &order);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_TRUE(StockReturnsTo(suite(), "dl-coffee", 10));
  EXPECT_EQ(CountOrders(suite(), "dl-storage-customer"), 0);
}

TEST_F(DeadlineTest, ClientCancelMidOrderAbandonsWorkAndReleases) {
  ASSERT_TRUE(suite().AddProduct("cancel-tea", 100, 10).ok());
  auto call = suite().ShopCall(absl::Seconds(10),
                               {{"x-request-id", "cancel-mid-order"},
                                {"x-baton-fault", Fault("inventory=delay:", absl::Seconds(3))}});
  orders::v1::PlaceOrderRequest request = OrderOf("cancel-customer", {{"cancel-tea", 4}});
  orders::v1::Order order;
  absl::Notification done;
  grpc::Status status;
  suite().shop().async()->PlaceOrder(call.get(), &request, &order, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  // Cancel while inventory is inside its 3 s delay. Nothing reports a request before it
  // ends, so this waits; the delay is long enough that the wait needs no precision.
  absl::SleepFor(Scaled(absl::Milliseconds(400)));
  ASSERT_FALSE(done.HasBeenNotified());
  const absl::Time cancelled_at = absl::Now();
  call->TryCancel();
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);

  EXPECT_TRUE(StockReturnsTo(suite(), "cancel-tea", 10));
  EXPECT_EQ(CountOrders(suite(), "cancel-customer"), 0);
  // Inventory's Reserve stopped at the cancel, far short of its 3 s delay.
  const std::string reserve = suite().AwaitLogLine("inventory", "Reserve", "cancel-mid-order");
  EXPECT_TRUE(absl::StrContains(reserve, "CANCELLED")) << reserve;
  EXPECT_LT(DurationMs(reserve), 2000 * TimeScale()) << reserve;
  EXPECT_LT(absl::Now() - cancelled_at, absl::Seconds(5));
}

TEST(DeadlineAnswerTest, ExactBudgetHeaderGetsTheServersAnswerAndTrail) {
  // Each hop answers a propagation slack before its caller's timer; the slack is wide
  // here so that the behaviour holds on a loaded machine and under sanitizers too.
  const std::vector<std::string> slack = {"--propagation_slack=" +
                                          absl::FormatDuration(Scaled(absl::Milliseconds(50)))};
  absl::StatusOr<std::unique_ptr<ShopSuite>> started = ShopSuite::Start({.common_flags = slack});
  ASSERT_TRUE(started.ok()) << started.status();
  ShopSuite& shop = **started;
  ASSERT_TRUE(shop.AddProduct("dl-trail", 100, 10).ok());
  // The client waits 10 s but gives the suite 500 ms: the answer (and its trail) comes
  // from the servers, not from the client's own timer.
  auto call = shop.ShopCall(Scaled(absl::Seconds(10)),
                            {{"x-baton-budget-us", absl::StrCat(500000 * TimeScale())},
                             {"x-baton-fault", Fault("inventory=delay:", absl::Seconds(5))}});
  orders::v1::Order order;
  const absl::Time start = absl::Now();
  grpc::Status status =
      shop.shop().PlaceOrder(call.get(), OrderOf("trail", {{"dl-trail", 1}}), &order);
  EXPECT_LT(absl::Now() - start, Scaled(absl::Seconds(4)));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "expired at gateway"))
      << status.error_message();
  auto trail = call->GetServerTrailingMetadata().find("x-baton-budget-trail");
  ASSERT_NE(trail, call->GetServerTrailingMetadata().end());
  const std::string text(trail->second.data(), trail->second.size());
  EXPECT_TRUE(absl::StartsWith(text, "gateway=")) << text;
  EXPECT_TRUE(absl::StrContains(text, ",orders=")) << text;
  EXPECT_TRUE(absl::StrContains(text, ",inventory=")) << text;
  EXPECT_TRUE(StockReturnsTo(shop, "dl-trail", 10));
}

TEST_F(DeadlineTest, ExpiredBudgetIsRefusedBeforeAnyWork) {
  auto call = suite().ShopCall(absl::Milliseconds(1), {{"x-request-id", "dl-tiny-budget"}});
  absl::SleepFor(absl::Milliseconds(5));
  orders::v1::Order order;
  grpc::Status status =
      suite().shop().PlaceOrder(call.get(), OrderOf("tiny", {{"dl-tea", 1}}), &order);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(LogLine(suite().Log("orders"), "PlaceOrder", "dl-tiny-budget").empty());
}

}  // namespace
}  // namespace baton::testing
