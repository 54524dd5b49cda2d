// Scenarios more than one test runs (on SQLite and on PostgreSQL): each drives a
// running ShopSuite and checks its outcome with GoogleTest assertions.
#ifndef BATON_TESTS_TESTING_SHOP_SCENARIOS_H_
#define BATON_TESTS_TESTING_SHOP_SCENARIOS_H_

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/shop_suite.h"

namespace baton::testing {

// `buyers` concurrent orders of one unit each for a SKU with `units` in stock: exactly
// `units` are placed, the rest refused FAILED_PRECONDITION, and stock ends at zero.
inline void ExpectNoOversell(ShopSuite& suite, const std::string& sku, int units, int buyers) {
  ASSERT_TRUE(suite.AddProduct(sku, 100, units).ok());
  std::atomic<int> placed{0};
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < buyers; ++i) {
    threads.emplace_back([&, i] {
      auto call = suite.ShopCall(absl::Seconds(20), {{"x-request-id", absl::StrCat(sku, "-", i)}});
      orders::v1::Order order;
      grpc::Status status =
          suite.shop().PlaceOrder(call.get(), OrderOf("buyer", {{sku, 1}}), &order);
      if (status.ok()) {
        placed.fetch_add(1);
      } else if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
        refused.fetch_add(1);
      } else {
        other.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(placed.load(), units);
  EXPECT_EQ(refused.load(), buyers - units);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(suite.Available(sku), 0);
}

}  // namespace baton::testing

#endif  // BATON_TESTS_TESTING_SHOP_SCENARIOS_H_
