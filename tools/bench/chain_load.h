// Load for a ChainService: closed loop (a fixed number of calls in flight) or open loop
// (calls started on a fixed schedule, latency measured from each call's scheduled
// start, so a stalled server shows as latency, not as fewer samples). Every call has
// the same deadline, also sent in the request (caller_deadline_unix_us) so hops can
// count work done after it.
//
// Thread safety: each function runs one load to completion and returns its summary.
#ifndef BATON_TOOLS_BENCH_CHAIN_LOAD_H_
#define BATON_TOOLS_BENCH_CHAIN_LOAD_H_

#include <string>

#include "absl/time/time.h"
#include "tools/loadgen/latency_recorder.h"

namespace baton::bench {

struct LoadOptions {
  std::string address = "";
  absl::Duration duration = absl::Seconds(3);
  absl::Duration deadline = absl::Milliseconds(100);
  int work_us = 0;
  int concurrency = 32;  // Closed loop.
  double rate = 1000;    // Open loop: calls per second.
};

loadgen::Summary RunClosedLoop(const LoadOptions& options);
loadgen::Summary RunOpenLoop(const LoadOptions& options);

}  // namespace baton::bench

#endif  // BATON_TOOLS_BENCH_CHAIN_LOAD_H_
