#include "tools/loadgen/latency_recorder.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace baton::loadgen {
namespace {

TEST(LatencyRecorder, NearestRankPercentilesAndCodes) {
  LatencyRecorder recorder;
  for (int ms = 1; ms <= 1000; ++ms) {
    recorder.Record(absl::Milliseconds(ms), ms % 100 == 0 ? "DEADLINE_EXCEEDED" : "OK");
  }
  const Summary summary = recorder.Summarize(absl::Seconds(2));
  EXPECT_EQ(summary.calls, 1000u);
  EXPECT_EQ(summary.ok, 990u);
  EXPECT_EQ(summary.codes.at("DEADLINE_EXCEEDED"), 10u);
  EXPECT_EQ(summary.p50, absl::Milliseconds(500));
  EXPECT_EQ(summary.p90, absl::Milliseconds(900));
  EXPECT_EQ(summary.p99, absl::Milliseconds(990));
  EXPECT_EQ(summary.p999, absl::Milliseconds(999));
  EXPECT_EQ(summary.max, absl::Milliseconds(1000));
  EXPECT_DOUBLE_EQ(summary.qps, 500);
  EXPECT_DOUBLE_EQ(summary.ok_qps, 495);
  EXPECT_TRUE(absl::StrContains(ToJson(summary), "\"p99\":990.000"));
  EXPECT_TRUE(absl::StrContains(ToText(summary), "DEADLINE_EXCEEDED=10"));
}

TEST(LatencyRecorder, EmptyRunReportsZeros) {
  const Summary summary = LatencyRecorder().Summarize(absl::Seconds(1));
  EXPECT_EQ(summary.calls, 0u);
  EXPECT_EQ(summary.p99, absl::ZeroDuration());
}

}  // namespace
}  // namespace baton::loadgen
