#include "common/testing/h2load_client.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::testing {
namespace {

constexpr char kReport[] = R"(starting benchmark...
spawning thread #0: 1 total client(s). Timing-based test with 0s of warm-up time and 2s of main duration for measurements.
Warm-up phase is over for thread #0.
Main benchmark duration is over for thread #0. Stopping all clients.
Stopped all clients for thread #0

finished in 2.00s, 56288.95 req/s, 2.38MB/s
requests: 112578 total, 112642 started, 112578 done, 112570 succeeded, 8 failed, 0 errored, 0 timeout
status codes: 112570 2xx, 0 3xx, 8 4xx, 0 5xx
traffic: 4.75MB (4982412) total, 329.82KB (337734) headers (space savings 96.30%), 1.39MB (1463514) data
)";

TEST(H2loadClient, ReadsTheRateAndTheCounts) {
  absl::StatusOr<H2loadReport> report = ParseH2loadReport(kReport);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_DOUBLE_EQ(report->requests_per_second, 56288.95);
  EXPECT_EQ(report->done, 112578);
  EXPECT_EQ(report->succeeded, 112570);
  EXPECT_EQ(report->failed, 8);
  EXPECT_EQ(report->errored, 0);
}

TEST(H2loadClient, OutputWithoutAReportIsAnErrorThatQuotesIt) {
  absl::StatusOr<H2loadReport> report = ParseH2loadReport("No protocol negotiated\n");
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(report.status().message()), ::testing::HasSubstr("No protocol"));
}

TEST(H2loadClient, FramesAMessageAsGrpcDoes) {
  EXPECT_EQ(GrpcFrame(""), std::string(5, '\0'));
  const std::string framed = GrpcFrame(std::string(258, 'x'));
  ASSERT_EQ(framed.size(), 263u);
  EXPECT_EQ(framed.substr(0, 5), std::string("\0\0\0\x01\x02", 5));
  EXPECT_EQ(framed.substr(5), std::string(258, 'x'));
}

TEST(H2loadClient, KeepsAFractionalDurationInMilliseconds) {
  EXPECT_EQ(H2loadDuration(absl::Seconds(2.5)), "2500ms");
  EXPECT_EQ(H2loadDuration(absl::Seconds(2)), "2000ms");
  EXPECT_EQ(H2loadDuration(absl::ZeroDuration()), "1ms");
}

}  // namespace
}  // namespace baton::testing
