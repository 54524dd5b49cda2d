#include "common/runtime/adapter_flags.h"

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_DECLARE_FLAG(absl::Duration, default_deadline);
ABSL_DECLARE_FLAG(absl::Duration, max_deadline);
ABSL_DECLARE_FLAG(baton::rpc::Enforcement, deadline_enforcement);
ABSL_DECLARE_FLAG(int, shed_threshold);
ABSL_DECLARE_FLAG(std::string, forward_headers);
ABSL_DECLARE_FLAG(bool, batch_scheduling);

namespace baton::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class AdapterFlagsTest : public ::testing::Test {
  absl::FlagSaver saver_;  // Restores every flag after each test.
};

TEST_F(AdapterFlagsTest, DefaultsAreUsable) {
  absl::StatusOr<rpc::ServerAdapter::Options> options = AdapterOptionsFromFlags("catalog");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->policy.service_name, "catalog");
  EXPECT_EQ(options->policy.deadlines.default_deadline, absl::Seconds(10));
  EXPECT_EQ(options->policy.deadlines.enforcement, rpc::Enforcement::kEnforce);
  EXPECT_EQ(options->pool.queue_bound, 256u);
  EXPECT_TRUE(options->pool.batch_scheduling);
  // Stream handlers mostly wait for their peer: they keep the default policy.
  EXPECT_FALSE(options->streams.batch_scheduling);
}

TEST_F(AdapterFlagsTest, BatchSchedulingCanBeTurnedOff) {
  absl::SetFlag(&FLAGS_batch_scheduling, false);
  absl::StatusOr<rpc::ServerAdapter::Options> options = AdapterOptionsFromFlags("catalog");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_FALSE(options->pool.batch_scheduling);
}

TEST_F(AdapterFlagsTest, ValuesAreTakenAndHeadersNormalized) {
  absl::SetFlag(&FLAGS_default_deadline, absl::Milliseconds(250));
  absl::SetFlag(&FLAGS_deadline_enforcement, rpc::Enforcement::kObserve);
  absl::SetFlag(&FLAGS_forward_headers, " X-Feature-Flag, x-canary ");
  absl::StatusOr<rpc::ServerAdapter::Options> options = AdapterOptionsFromFlags("orders");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->policy.deadlines.default_deadline, absl::Milliseconds(250));
  EXPECT_EQ(options->policy.deadlines.enforcement, rpc::Enforcement::kObserve);
  EXPECT_THAT(options->policy.metadata.allowlist, ElementsAre("x-feature-flag", "x-canary"));
}

TEST_F(AdapterFlagsTest, NonsenseIsRefusedNamingTheFlag) {
  absl::SetFlag(&FLAGS_default_deadline, absl::ZeroDuration());
  EXPECT_THAT(std::string(AdapterOptionsFromFlags("x").status().message()),
              HasSubstr("--default_deadline"));
  absl::SetFlag(&FLAGS_default_deadline, absl::Seconds(30));
  absl::SetFlag(&FLAGS_max_deadline, absl::Seconds(5));
  EXPECT_THAT(std::string(AdapterOptionsFromFlags("x").status().message()),
              HasSubstr("--max_deadline"));
  absl::SetFlag(&FLAGS_max_deadline, absl::Seconds(60));
  absl::SetFlag(&FLAGS_shed_threshold, 500);
  EXPECT_THAT(std::string(AdapterOptionsFromFlags("x").status().message()),
              HasSubstr("--shed_threshold"));
  absl::SetFlag(&FLAGS_shed_threshold, 10);
  absl::SetFlag(&FLAGS_forward_headers, ":path");
  EXPECT_EQ(AdapterOptionsFromFlags("x").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(AdapterFlagsTest, EnforcementParsesOnlyKnownModes) {
  rpc::Enforcement mode;
  std::string error;
  EXPECT_TRUE(rpc::AbslParseFlag("off", &mode, &error));
  EXPECT_EQ(mode, rpc::Enforcement::kOff);
  EXPECT_FALSE(rpc::AbslParseFlag("strict", &mode, &error));
  EXPECT_THAT(error, HasSubstr("enforce, observe, off"));
}

}  // namespace
}  // namespace baton::runtime
