// LatencyRecorder: what a load run measured — latencies and outcomes — and the
// percentiles of it.
//
// Each sample is the time from a call's *intended* start to its end: in an open-loop
// run the intended start is the schedule's, not the moment the call could go out, so a
// stalled server shows up as latency instead of as fewer samples (no coordinated
// omission).
//
// Thread safety: Record may be called from any thread (one short lock); Summarize
// reads a snapshot.
#ifndef BATON_TOOLS_LOADGEN_LATENCY_RECORDER_H_
#define BATON_TOOLS_LOADGEN_LATENCY_RECORDER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace baton::loadgen {

struct Summary {
  uint64_t calls = 0;
  // Calls that ended OK within their deadline.
  uint64_t ok = 0;
  std::map<std::string, uint64_t> codes;  // "OK", "DEADLINE_EXCEEDED", ...
  absl::Duration p50, p90, p99, p999, max;
  absl::Duration elapsed;
  double qps = 0;     // calls / elapsed
  double ok_qps = 0;  // OK calls / elapsed (goodput)
};

class LatencyRecorder {
 public:
  void Record(absl::Duration latency, const std::string& code);
  // Percentiles over every sample so far (nearest rank).
  Summary Summarize(absl::Duration elapsed) const;

 private:
  mutable absl::Mutex mu_;
  std::vector<int64_t> micros_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> codes_ ABSL_GUARDED_BY(mu_);
};

std::string ToText(const Summary& summary);
std::string ToJson(const Summary& summary);

}  // namespace baton::loadgen

#endif  // BATON_TOOLS_LOADGEN_LATENCY_RECORDER_H_
