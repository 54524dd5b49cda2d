// Retries with one request id make one order; racing orders never oversell.
#include <atomic>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/testing/shop_scenarios.h"
#include "tests/testing/suite_test.h"

namespace baton::testing {
namespace {

using IdempotencyTest = SuiteTest;

grpc::Status Place(ShopSuite& suite, const std::string& request_id,
                   const orders::v1::PlaceOrderRequest& request, orders::v1::Order& order) {
  auto call = suite.ShopCall(absl::Seconds(20), {{"x-request-id", request_id}});
  return suite.shop().PlaceOrder(call.get(), request, &order);
}

TEST_F(IdempotencyTest, RetryWithSameRequestIdReturnsTheSameOrder) {
  ASSERT_TRUE(suite().AddProduct("idem-tea", 100, 10).ok());
  const auto request = OrderOf("idem-customer", {{"idem-tea", 2}});
  orders::v1::Order first, second;
  ASSERT_TRUE(Place(suite(), "idem-retry-1", request, first).ok());
  ASSERT_TRUE(Place(suite(), "idem-retry-1", request, second).ok());
  EXPECT_EQ(first.order_id(), second.order_id());
  EXPECT_EQ(suite().Available("idem-tea"), 8);
  // A new request id is a new order.
  orders::v1::Order third;
  ASSERT_TRUE(Place(suite(), "idem-retry-2", request, third).ok());
  EXPECT_NE(third.order_id(), first.order_id());
  EXPECT_EQ(suite().Available("idem-tea"), 6);
}

TEST_F(IdempotencyTest, ConcurrentRetriesStillMakeOneOrder) {
  ASSERT_TRUE(suite().AddProduct("idem-race", 100, 50).ok());
  const auto request = OrderOf("idem-race-customer", {{"idem-race", 3}});
  absl::Mutex mu;
  std::set<std::string> order_ids;
  int failures = 0;
  std::vector<std::thread> clients;
  for (int i = 0; i < 6; ++i) {
    clients.emplace_back([&] {
      orders::v1::Order order;
      grpc::Status status = Place(suite(), "idem-race-1", request, order);
      absl::MutexLock lock(&mu);
      if (status.ok()) {
        order_ids.insert(order.order_id());
      } else {
        ++failures;
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(order_ids.size(), 1u);
  // The attempts that lost the race gave their reservations back.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (suite().Available("idem-race") != 47 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(suite().Available("idem-race"), 47);
}

TEST_F(IdempotencyTest, ConcurrentOrdersForTheLastUnitsNeverOversell) {
  ExpectNoOversell(suite(), "last-units", /*units=*/3, /*buyers=*/12);
}

}  // namespace
}  // namespace baton::testing
