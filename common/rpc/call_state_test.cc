#include "common/rpc/call_state.h"

#include <string>

#include "gtest/gtest.h"

namespace baton::rpc {
namespace {

class CallStateTest : public ::testing::Test {
 protected:
  AdapterPolicy policy_ = [] {
    AdapterPolicy policy;
    policy.service_name = "orders";
    return policy;
  }();
  CallState state_{&policy_, absl::Milliseconds(950)};
};

TEST_F(CallStateTest, OwnEntryFirstThenDownstreamInOrder) {
  EXPECT_EQ(state_.Trail(), "orders=950");
  state_.AppendDownstreamTrail("inventory=940");
  state_.AppendDownstreamTrail("catalog=930,storage=925");
  EXPECT_EQ(state_.Trail(), "orders=950,inventory=940,catalog=930,storage=925");
}

TEST_F(CallStateTest, MalformedEntriesFromDownstreamAreDropped) {
  state_.AppendDownstreamTrail(std::string("inventory=940,evil\xff=1,no-equals,") +
                               "x=12ms,=5,ok.svc_1=-3,\r\ninjected=1,toolong=1234567890123");
  EXPECT_EQ(state_.Trail(), "orders=950,inventory=940,ok.svc_1=-3");
  state_.AppendDownstreamTrail("\x01\x02");
  EXPECT_EQ(state_.Trail(), "orders=950,inventory=940,ok.svc_1=-3");
}

TEST_F(CallStateTest, TrailIsBounded) {
  for (int i = 0; i < 1000; ++i) state_.AppendDownstreamTrail("inventory=940");
  const std::string trail = state_.Trail();
  EXPECT_LE(trail.size(), kMaxBudgetTrail + 32);
  EXPECT_EQ(trail.substr(trail.size() - 4), ",...");
}

}  // namespace
}  // namespace baton::rpc
