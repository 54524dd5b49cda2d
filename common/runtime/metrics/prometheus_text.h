// The Prometheus text exposition format (version 0.0.4), written by hand: no C++
// Prometheus client is packaged for Debian 12, and the format is small.
//
// Rules kept here (https://prometheus.io/docs/instrumenting/exposition_formats/):
//   - a family is introduced by "# HELP name text" and "# TYPE name counter|gauge|
//     histogram", each at most once, before its samples;
//   - metric and label names match [a-zA-Z_:][a-zA-Z0-9_:]* ([a-zA-Z_][a-zA-Z0-9_]* for
//     labels); help text escapes \ and newline; label values escape \, " and newline;
//   - values are Go-style floats: +Inf, -Inf, NaN spelled so;
//   - a histogram has cumulative name_bucket{le="..."} series ending with le="+Inf",
//     then name_sum and name_count, with name_count equal to the +Inf bucket;
//   - lines end with \n, including the last.
//
// Thread safety: a value type; not for concurrent use.
#ifndef BATON_COMMON_RUNTIME_METRICS_PROMETHEUS_TEXT_H_
#define BATON_COMMON_RUNTIME_METRICS_PROMETHEUS_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace baton::runtime {

using Labels = std::vector<std::pair<std::string, std::string>>;

bool ValidMetricName(std::string_view name);
bool ValidLabelName(std::string_view name);
std::string FormatValue(double value);

class PrometheusText {
 public:
  // Starts a family; `type` is "counter", "gauge" or "histogram".
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, const Labels& labels, double value);
  // One histogram series: `bounds` ascending (without +Inf), `counts[i]` the
  // observations in bucket i (not cumulative; counts has bounds.size() + 1 entries,
  // the last for above every bound).
  void Histogram(std::string_view name, const Labels& labels, const std::vector<double>& bounds,
                 const std::vector<uint64_t>& counts, double sum);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace baton::runtime

#endif  // BATON_COMMON_RUNTIME_METRICS_PROMETHEUS_TEXT_H_
