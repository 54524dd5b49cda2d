#include "common/runtime/fault_injection.h"

#include "absl/time/clock.h"
#include "common/rpc/metadata_table.h"
#include "common/rpc/request_metadata.h"
#include "gtest/gtest.h"

namespace baton::runtime {
namespace {

Context WithFaultHeader(const Context& parent, std::string value) {
  rpc::RequestMetadata metadata;
  metadata.extra.emplace_back(rpc::kFaultHeader, std::move(value));
  return WithValue(parent, rpc::kRequestMetadata, std::move(metadata));
}

TEST(ParseFaultHeader, ReadsRulesWithPointsAndActions) {
  absl::StatusOr<std::vector<FaultRule>> rules = ParseFaultHeader(
      "inventory.storage=delay:500ms, orders=fail:UNAVAILABLE,x.handler=fail:4,"
      "y.reply=delay:1s");
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_EQ(rules->size(), 4u);
  EXPECT_EQ((*rules)[0].service, "inventory");
  EXPECT_EQ((*rules)[0].point, FaultPoint::kStorage);
  EXPECT_EQ((*rules)[0].delay, absl::Milliseconds(500));
  EXPECT_EQ((*rules)[1].point, FaultPoint::kHandler);
  EXPECT_EQ((*rules)[1].fail, absl::StatusCode::kUnavailable);
  EXPECT_EQ((*rules)[2].fail, absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ((*rules)[3].point, FaultPoint::kReply);
}

TEST(ParseFaultHeader, NamesTheBadRule) {
  for (const char* bad :
       {"inventory", "=delay:1s", "inventory.disk=delay:1s", "inventory=delay:forever",
        "inventory=delay:61s", "inventory=delay:-1s", "inventory=fail:NOPE", "inventory=fail:0",
        "inventory=fail:17", "inventory=explode"}) {
    absl::StatusOr<std::vector<FaultRule>> rules = ParseFaultHeader(bad);
    ASSERT_FALSE(rules.ok()) << bad;
    EXPECT_EQ(rules.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(rules.status().message().find("x-baton-fault"), std::string::npos);
  }
}

TEST(FaultInjector, FailsOnlyItsOwnServiceAndPoint) {
  const FaultInjector inventory("inventory");
  Context ctx =
      WithFaultHeader(Background(), "inventory.storage=fail:ABORTED,orders=fail:INTERNAL");
  EXPECT_TRUE(inventory.Inject(ctx, FaultPoint::kHandler).ok());
  EXPECT_EQ(inventory.Inject(ctx, FaultPoint::kStorage).code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(inventory.Inject(Background(), FaultPoint::kStorage).ok());
}

TEST(FaultInjector, DelayStopsWhenTheContextIsDone) {
  const FaultInjector inventory("inventory");
  auto [ctx, cancel] = WithTimeout(Background(), absl::Milliseconds(20));
  const absl::Time start = absl::Now();
  absl::Status status =
      inventory.Inject(WithFaultHeader(ctx, "inventory=delay:10s"), FaultPoint::kHandler);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(FaultInjector, MalformedHeaderFailsTheHandlerPointOnly) {
  const FaultInjector inventory("inventory");
  Context ctx = WithFaultHeader(Background(), "inventory=teleport");
  EXPECT_EQ(inventory.Inject(ctx, FaultPoint::kHandler).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(inventory.Inject(ctx, FaultPoint::kStorage).ok());
}

}  // namespace
}  // namespace baton::runtime
