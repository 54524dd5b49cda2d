#include "tools/loadgen/latency_recorder.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace baton::loadgen {
namespace {

absl::Duration Rank(const std::vector<int64_t>& sorted, double quantile) {
  if (sorted.empty()) return absl::ZeroDuration();
  // Nearest rank: the smallest sample with at least `quantile` of all at or below it.
  size_t rank = static_cast<size_t>(quantile * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return absl::Microseconds(sorted[rank - 1]);
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

}  // namespace

void LatencyRecorder::Record(absl::Duration latency, const std::string& code) {
  absl::MutexLock lock(&mu_);
  micros_.push_back(absl::ToInt64Microseconds(latency));
  ++codes_[code];
}

Summary LatencyRecorder::Summarize(absl::Duration elapsed) const {
  std::vector<int64_t> sorted;
  Summary summary;
  {
    absl::MutexLock lock(&mu_);
    sorted = micros_;
    summary.codes = codes_;
  }
  std::sort(sorted.begin(), sorted.end());
  summary.calls = sorted.size();
  auto ok = summary.codes.find("OK");
  summary.ok = ok == summary.codes.end() ? 0 : ok->second;
  summary.p50 = Rank(sorted, 0.50);
  summary.p90 = Rank(sorted, 0.90);
  summary.p99 = Rank(sorted, 0.99);
  summary.p999 = Rank(sorted, 0.999);
  summary.max = sorted.empty() ? absl::ZeroDuration() : absl::Microseconds(sorted.back());
  summary.elapsed = elapsed;
  const double seconds = absl::ToDoubleSeconds(elapsed);
  if (seconds > 0) {
    summary.qps = static_cast<double>(summary.calls) / seconds;
    summary.ok_qps = static_cast<double>(summary.ok) / seconds;
  }
  return summary;
}

std::string ToText(const Summary& s) {
  std::string out = absl::StrFormat(
      "calls %d in %.2fs: %.1f/s (OK %.1f/s)\n"
      "latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n",
      s.calls, absl::ToDoubleSeconds(s.elapsed), s.qps, s.ok_qps, Ms(s.p50), Ms(s.p90), Ms(s.p99),
      Ms(s.p999), Ms(s.max));
  out += "codes:";
  for (const auto& [code, count] : s.codes) absl::StrAppend(&out, " ", code, "=", count);
  out += "\n";
  return out;
}

std::string ToJson(const Summary& s) {
  std::string codes;
  for (const auto& [code, count] : s.codes) {
    absl::StrAppend(&codes, codes.empty() ? "" : ",", "\"", code, "\":", count);
  }
  return absl::StrFormat(
      "{\"calls\":%d,\"ok\":%d,\"elapsed_s\":%.3f,\"qps\":%.1f,\"ok_qps\":%.1f,"
      "\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},"
      "\"codes\":{%s}}",
      s.calls, s.ok, absl::ToDoubleSeconds(s.elapsed), s.qps, s.ok_qps, Ms(s.p50), Ms(s.p90),
      Ms(s.p99), Ms(s.p999), Ms(s.max), codes);
}

}  // namespace baton::loadgen
