// SuiteTest: a GoogleTest fixture whose tests share one ShopSuite, started once for
// the test binary's suite and stopped after its last test.
#ifndef BATON_TESTS_TESTING_SUITE_TEST_H_
#define BATON_TESTS_TESTING_SUITE_TEST_H_

#include <memory>

#include "gtest/gtest.h"
#include "tests/testing/shop_suite.h"

namespace baton::testing {

class SuiteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { StartSuite({}); }
  static void TearDownTestSuite() { Holder().reset(); }

  // For fixtures that need their suite started with other options (in their own
  // SetUpTestSuite).
  static void StartSuite(ShopSuite::Options options) {
    absl::StatusOr<std::unique_ptr<ShopSuite>> started = ShopSuite::Start(std::move(options));
    ASSERT_TRUE(started.ok()) << started.status();
    absl::Status warm = (*started)->WarmUp();
    ASSERT_TRUE(warm.ok()) << warm;
    Holder() = *std::move(started);
  }

  void SetUp() override { ASSERT_NE(Holder(), nullptr) << "the suite did not start"; }

  static ShopSuite& suite() { return *Holder(); }

 private:
  static std::unique_ptr<ShopSuite>& Holder() {
    static std::unique_ptr<ShopSuite> suite;
    return suite;
  }
};

}  // namespace baton::testing

#endif  // BATON_TESTS_TESTING_SUITE_TEST_H_
