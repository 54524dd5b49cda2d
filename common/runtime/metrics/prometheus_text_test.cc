// The exposition format's rules, checked on what the writer and the registry produce.
#include "common/runtime/metrics/prometheus_text.h"

#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/runtime/metrics/metrics_registry.h"
#include "gtest/gtest.h"

namespace baton::runtime {
namespace {

TEST(PrometheusText, NamesFollowTheGrammar) {
  EXPECT_TRUE(ValidMetricName("baton_requests_total"));
  EXPECT_TRUE(ValidMetricName("ns:sub_metric"));
  EXPECT_FALSE(ValidMetricName("9lives"));
  EXPECT_FALSE(ValidMetricName("has-dash"));
  EXPECT_FALSE(ValidMetricName(""));
  EXPECT_TRUE(ValidLabelName("method"));
  EXPECT_FALSE(ValidLabelName("a:b"));
}

TEST(PrometheusText, ValuesAreGoFloats) {
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(0.0005), "0.0005");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
  double back = 0;
  ASSERT_TRUE(absl::SimpleAtod(FormatValue(0.1 + 0.2), &back));
  EXPECT_EQ(back, 0.1 + 0.2);
}

TEST(PrometheusText, LabelValuesAndHelpAreEscaped) {
  PrometheusText out;
  out.Family("m", "counter", "two\nlines \\ here");
  out.Sample("m", {{"path", "a\"b\\c\nd"}}, 1);
  EXPECT_EQ(out.text(),
            "# HELP m two\\nlines \\\\ here\n"
            "# TYPE m counter\n"
            "m{path=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(PrometheusText, HistogramIsCumulativeEndsAtInfAndCountMatches) {
  PrometheusText out;
  out.Family("h", "histogram", "help");
  out.Histogram("h", {{"method", "Get"}}, {0.1, 1}, {2, 3, 4}, 12.5);
  EXPECT_EQ(out.text(),
            "# HELP h help\n"
            "# TYPE h histogram\n"
            "h_bucket{method=\"Get\",le=\"0.1\"} 2\n"
            "h_bucket{method=\"Get\",le=\"1\"} 5\n"
            "h_bucket{method=\"Get\",le=\"+Inf\"} 9\n"
            "h_sum{method=\"Get\"} 12.5\n"
            "h_count{method=\"Get\"} 9\n");
}

// Every line is a comment (HELP/TYPE) or "series value"; each family's HELP and TYPE
// come once and before its samples; the text ends with a newline.
void ExpectWellFormed(const std::string& text) {
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  std::string family;
  std::set<std::string> typed;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "# HELP ")) {
      family = std::string(std::vector<absl::string_view>(absl::StrSplit(line, ' '))[2]);
      continue;
    }
    if (absl::StartsWith(line, "# TYPE ")) {
      std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
      ASSERT_EQ(parts.size(), 4u) << line;
      EXPECT_EQ(parts[2], family) << line;
      EXPECT_TRUE(typed.insert(family).second) << "TYPE twice: " << line;
      continue;
    }
    const size_t space = line.rfind(' ');
    ASSERT_NE(space, absl::string_view::npos) << line;
    double value = 0;
    absl::string_view number = line.substr(space + 1);
    EXPECT_TRUE(number == "+Inf" || number == "-Inf" || number == "NaN" ||
                absl::SimpleAtod(number, &value))
        << line;
    EXPECT_TRUE(absl::StartsWith(line, family)) << "sample outside its family: " << line;
  }
}

TEST(MetricsRegistry, ExposesEveryKindWellFormed) {
  MetricsRegistry registry;
  CounterFamily& requests =
      registry.Counter("baton_requests_total", "Requests.", {"method", "code"});
  HistogramFamily& latency =
      registry.Histogram("baton_request_duration_seconds", "Latency.", {"method"}, kLatencyBuckets);
  registry.Gauge("baton_requests_in_flight", "In flight.", [] { return 3.0; });
  requests.Add({"Get", "OK"});
  requests.Add({"Get", "OK"});
  requests.Add({"Put", "NOT_FOUND"});
  latency.Observe({"Get"}, 0.002);
  latency.Observe({"Get"}, 20);  // Above every bound: only +Inf holds it.
  const std::string text = registry.Expose();
  ExpectWellFormed(text);
  EXPECT_TRUE(absl::StrContains(text, "baton_requests_total{method=\"Get\",code=\"OK\"} 2\n"));
  EXPECT_TRUE(absl::StrContains(
      text, "baton_request_duration_seconds_bucket{method=\"Get\",le=\"0.0025\"} 1\n"));
  EXPECT_TRUE(absl::StrContains(
      text, "baton_request_duration_seconds_bucket{method=\"Get\",le=\"10\"} 1\n"));
  EXPECT_TRUE(absl::StrContains(
      text, "baton_request_duration_seconds_bucket{method=\"Get\",le=\"+Inf\"} 2\n"));
  EXPECT_TRUE(absl::StrContains(text, "baton_request_duration_seconds_count{method=\"Get\"} 2\n"));
  EXPECT_TRUE(absl::StrContains(text, "baton_requests_in_flight 3\n"));
}

}  // namespace
}  // namespace baton::runtime
