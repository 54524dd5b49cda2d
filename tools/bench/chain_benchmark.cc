// Benchmarks of deadline propagation across hops (docs/benchmarks.md §5, §6, §8 and
// §12), each comparing a chain built on the adapter with the same chain on raw gRPC,
// in one process on loopback:
//
//   chain     3 hops of trivial work, closed loop at concurrency 32, 100 ms deadline:
//             QPS and latency percentiles.
//   waste     3 hops of 10 ms CPU work each, 20 ms deadline: CPU spent after the
//             deadline, summed over hops, per request.
//   overload  1 hop of 1 ms CPU work, 50 ms deadline: peak goodput (the best of closed
//             loops at 2, 4 .. --concurrency), then an open loop at 3x that rate;
//             goodput, and the server's memory before/after. By default the server
//             runs in a process of its own on CPU 0 and the load generator on CPU 1
//             (--placement=split); --placement=shared runs both in this process on
//             all CPUs.
//
// With --go_chain=<binary> (tools/bench/go_chain/build.sh), every scenario also runs
// the same chain on grpc-go, in a process of its own.
//
//   bazel run -c opt //tools/bench:chain_benchmark -- --scenario=chain|waste|overload
//       [--seconds=N] [--rounds=N] [--concurrency=N] [--work_us=N] [--deadline_ms=N]
//       [--threads=N] [--overload_factor=X] [--placement=split|shared] [--go_chain=PATH]
//       [--only=<kind>]   (chain, overload: one of the C++ servers alone, for profiling)
//       [--batch_scheduling=0] (the adapter's pollers and workers keep the default policy)
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/runtime/allocator_policy.h"
#include "common/testing/bench_flags.h"
#include "common/testing/server_process.h"
#include "tools/bench/chain.h"
#include "tools/bench/chain_load.h"
#include "tools/bench/remote_chain.h"

namespace baton::bench {

using ::baton::testing::BenchFlags;
using ::baton::testing::FlagKind;
using ::baton::testing::FlagSpec;
using ::baton::testing::PinToCpu;
using ::baton::testing::ServerProcess;
using ::baton::testing::StatusFieldMiB;
namespace {

// Every flag; an unknown one is refused.
const std::vector<FlagSpec> kFlags = {
    {"scenario", FlagKind::kText, 0, {"chain", "waste", "overload"}},
    {"seconds", FlagKind::kNumber, 0.1},
    {"rounds", FlagKind::kWholeNumber, 1},
    {"concurrency", FlagKind::kWholeNumber, 1},
    {"work_us", FlagKind::kWholeNumber},
    {"deadline_ms", FlagKind::kNumber, 0.001},
    {"threads", FlagKind::kWholeNumber, 1},
    {"overload_factor", FlagKind::kNumber, 0.1},
    {"placement", FlagKind::kText, 0, {"split", "shared"}},
    {"go_chain", FlagKind::kText},
    {"only", FlagKind::kText},
    {"batch_scheduling", FlagKind::kWholeNumber, 0, {"0", "1"}},
    {"serve", FlagKind::kText}};

void PrintSummary(const char* label, const loadgen::Summary& s) {
  std::printf("  %-12s %8.0f calls/s  goodput %8.0f/s  p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  "
              "max %7.2f ms  ",
              label, s.qps, s.ok_qps, absl::ToDoubleMilliseconds(s.p50),
              absl::ToDoubleMilliseconds(s.p90), absl::ToDoubleMilliseconds(s.p99),
              absl::ToDoubleMilliseconds(s.max));
  for (const auto& [code, count] : s.codes) {
    std::printf("%s=%llu ", code.c_str(), static_cast<unsigned long long>(count));
  }
  std::printf("\n");
}

// The load flags, over a scenario's own defaults.
LoadOptions LoadFromFlags(const BenchFlags& flags, LoadOptions defaults) {
  LoadOptions load = defaults;
  load.duration = absl::Seconds(
      flags.Number("seconds", absl::ToDoubleSeconds(defaults.duration)));
  load.deadline = absl::Milliseconds(
      flags.Number("deadline_ms", absl::ToDoubleMilliseconds(defaults.deadline)));
  load.concurrency =
      static_cast<int>(flags.Number("concurrency", defaults.concurrency));
  load.work_us = static_cast<int>(flags.Number("work_us", defaults.work_us));
  return load;
}

// --batch_scheduling=0: the adapter's pollers and workers keep the default policy.
bool BatchScheduling(const BenchFlags& flags) {
  return flags.Number("batch_scheduling", 1) != 0;
}

ChainOptions ChainFor(ChainKind kind, int hops, int threads, bool batch_scheduling) {
  ChainOptions options;
  options.kind = kind;
  options.hops = hops;
  options.threads = threads;
  options.batch_scheduling = batch_scheduling;
  return options;
}

// The grpc-go chain (tools/bench/go_chain) of `hops` hops on `cpu`, if --go_chain
// names its binary; null if not.
absl::StatusOr<std::unique_ptr<RemoteChain>> StartGoChain(const BenchFlags& flags, int hops,
                                                          int cpu) {
  const std::string program = flags.Text("go_chain", "");
  if (program.empty()) return nullptr;
  return RemoteChain::Start(program, {"-hops=" + std::to_string(hops)}, cpu);
}

constexpr char kGoChainName[] = "grpc-go";

int RunChain(const BenchFlags& flags) {
  const int rounds = static_cast<int>(flags.Number("rounds", 5));
  LoadOptions load = LoadFromFlags(flags,
                                   {.duration = absl::Seconds(3),
                                    .deadline = absl::Milliseconds(100),
                                    .work_us = 0,
                                    .concurrency = 32});
  const int threads = static_cast<int>(flags.Number("threads", 8));
  std::printf("chain: 3 hops, concurrency %d, deadline %.0f ms, work %d us per hop\n",
              load.concurrency, absl::ToDoubleMilliseconds(load.deadline), load.work_us);
  absl::StatusOr<std::unique_ptr<RemoteChain>> go_chain =
      StartGoChain(flags, 3, ServerProcess::kAnyCpu);
  if (!go_chain.ok()) {
    std::fprintf(stderr, "--go_chain: %s\n", go_chain.status().ToString().c_str());
    return 1;
  }
  // --only=<kind>: one chain alone, for profiling it (perf record -p).
  const std::string only = flags.Text("only", "");
  std::vector<std::pair<std::string, std::string>> targets;  // Name, address.
  std::vector<std::unique_ptr<Chain>> chains;
  for (ChainKind kind : kChainKinds) {
    if (!only.empty() && only != ChainKindName(kind)) continue;
    chains.push_back(
        std::make_unique<Chain>(ChainFor(kind, 3, threads, BatchScheduling(flags))));
    targets.emplace_back(ChainKindName(kind), chains.back()->address());
  }
  if (*go_chain != nullptr) targets.emplace_back(kGoChainName, (*go_chain)->address());
  for (int round = 1; round <= rounds; ++round) {
    std::printf("round %d\n", round);
    for (const auto& [name, address] : targets) {
      load.address = address;
      PrintSummary(name.c_str(), RunClosedLoop(load));
    }
  }
  return 0;
}

void PrintWaste(const char* name, const loadgen::Summary& summary,
                const std::vector<HopWaste>& hops, bool quiet) {
  PrintSummary(name, summary);
  int64_t total_ns = 0;
  for (size_t hop = 0; hop < hops.size(); ++hop) {
    total_ns += hops[hop].cpu_ns_after_deadline;
    std::printf(
        "    hop %zu: work pieces %lld (cut short %lld), "
        "CPU after deadline %.3f ms/request\n",
        hop + 1, static_cast<long long>(hops[hop].started),
        static_cast<long long>(hops[hop].cut_short),
        hops[hop].cpu_ns_after_deadline / 1e6 / summary.calls);
  }
  std::printf("    => CPU after the deadline, all hops: %.3f ms per request%s\n",
              total_ns / 1e6 / summary.calls, quiet ? "" : " (hops still busy at the end!)");
}

int RunWaste(const BenchFlags& flags) {
  LoadOptions load = LoadFromFlags(flags,
                                   {.duration = absl::Seconds(5),
                                    .deadline = absl::Milliseconds(20),
                                    .work_us = 10000,
                                    .concurrency = 1});
  const int threads = static_cast<int>(flags.Number("threads", 8));
  std::printf("waste: 3 hops, %d us of CPU work per hop, deadline %.0f ms, concurrency %d\n",
              load.work_us, absl::ToDoubleMilliseconds(load.deadline), load.concurrency);
  absl::StatusOr<std::unique_ptr<RemoteChain>> go_chain =
      StartGoChain(flags, 3, ServerProcess::kAnyCpu);
  if (!go_chain.ok()) {
    std::fprintf(stderr, "--go_chain: %s\n", go_chain.status().ToString().c_str());
    return 1;
  }
  for (ChainKind kind : kChainKinds) {
    Chain chain(ChainFor(kind, 3, threads, BatchScheduling(flags)));
    load.address = chain.address();
    const loadgen::Summary summary = RunClosedLoop(load);
    const bool quiet = chain.WaitForQuiet(absl::Seconds(10));
    PrintWaste(ChainKindName(kind), summary, chain.WasteNow(), quiet);
  }
  if (*go_chain != nullptr) {
    load.address = (*go_chain)->address();
    const loadgen::Summary summary = RunClosedLoop(load);
    const bool quiet = (*go_chain)->WaitForQuiet();
    absl::StatusOr<std::vector<HopWaste>> hops = (*go_chain)->Waste();
    if (!hops.ok()) {
      std::fprintf(stderr, "%s\n", hops.status().ToString().c_str());
      return 1;
    }
    PrintWaste(kGoChainName, summary, *hops, quiet);
  }
  return 0;
}

// The server an overload run loads: a chain of one hop, in this process (sharing the
// load generator's CPUs) or in a process of its own (pinned to CPU 0 when split, the
// generator then pinned to CPU 1).
class OverloadTarget {
 public:
  static absl::StatusOr<std::unique_ptr<OverloadTarget>> Start(ChainKind kind, int threads,
                                                               bool batch, bool split) {
    if (split) {
      return Remote(RemoteChain::Start("/proc/self/exe",
                                       {std::string("--serve=") + ChainKindName(kind),
                                        "--threads=" + std::to_string(threads),
                                        std::string("--batch_scheduling=") + (batch ? "1" : "0")},
                                       /*cpu=*/0));
    }
    auto target = std::make_unique<OverloadTarget>();
    target->chain_ = std::make_unique<Chain>(ChainFor(kind, 1, threads, batch));
    return target;
  }

  // A chain already started in a process of its own (or the error starting it).
  static absl::StatusOr<std::unique_ptr<OverloadTarget>> Remote(
      absl::StatusOr<std::unique_ptr<RemoteChain>> remote) {
    if (!remote.ok()) return remote.status();
    auto target = std::make_unique<OverloadTarget>();
    target->remote_ = std::move(*remote);
    return target;
  }

  const std::string& address() const {
    return chain_ != nullptr ? chain_->address() : remote_->address();
  }

  // Handlers started so far; -1 if the server process did not say.
  int64_t HandlerRuns() {
    if (chain_ != nullptr) return chain_->waste(0).pieces_started.load();
    return remote_->Runs().value_or(-1);
  }

  void WaitForQuiet() {
    if (chain_ != nullptr) {
      chain_->WaitForQuiet(absl::Seconds(30));
    } else {
      remote_->WaitForQuiet();
    }
  }

  // The server's resident memory: the whole process's when the generator shares it.
  double RssMiB() const {
    return chain_ != nullptr ? StatusFieldMiB("/proc/self/status", "VmRSS") : remote_->RssMiB();
  }
  bool RssIsServerOnly() const { return chain_ == nullptr; }

 private:
  std::unique_ptr<Chain> chain_;  // Or:
  std::unique_ptr<RemoteChain> remote_;
};

// --serve=<kind>: the server process of a split overload run (see OverloadTarget).
int ServeHop(const BenchFlags& flags, const std::string& kind_name) {
  const int threads = static_cast<int>(flags.Number("threads", 2));
  const bool batch = BatchScheduling(flags);
  for (ChainKind kind : kChainKinds) {
    if (kind_name != ChainKindName(kind)) continue;
    Chain chain(ChainFor(kind, 1, threads, batch));
    ServeChain(chain);
    return 0;
  }
  std::fprintf(stderr, "--serve: no chain kind named %s\n", kind_name.c_str());
  return 2;
}

int RunOverload(const BenchFlags& flags) {
  LoadOptions load = LoadFromFlags(flags,
                                   {.duration = absl::Seconds(5),
                                    .deadline = absl::Milliseconds(50),
                                    .work_us = 1000,
                                    .concurrency = 8});
  const int threads = static_cast<int>(flags.Number("threads", 2));
  const double factor = flags.Number("overload_factor", 3);
  const std::string placement = flags.Text("placement", "split");
  const bool split = placement == "split";
  const bool batch = BatchScheduling(flags);
  const int concurrency = load.concurrency;
  // Before any gRPC thread starts, so that they inherit it.
  if (split && !PinToCpu(1)) {
    std::fprintf(stderr, "--placement=split needs CPUs 0 and 1; try --placement=shared\n");
    return 2;
  }
  std::printf("overload: 1 hop, %d us of CPU work, deadline %.0f ms, %d worker threads, %s\n",
              load.work_us, absl::ToDoubleMilliseconds(load.deadline), threads,
              split ? "server alone on CPU 0, load generator on CPU 1"
                    : "server and load generator in one process on all CPUs");
  // Each server under test: its name, and how to start it.
  std::vector<
      std::pair<std::string, std::function<absl::StatusOr<std::unique_ptr<OverloadTarget>>()>>>
      servers;
  const std::string only = flags.Text("only", "");
  for (ChainKind kind : {ChainKind::kAdapter, ChainKind::kRawSync, ChainKind::kRawCallback}) {
    if (!only.empty() && only != ChainKindName(kind)) continue;
    servers.emplace_back(ChainKindName(kind), [kind, threads, batch, split] {
      return OverloadTarget::Start(kind, threads, batch, split);
    });
  }
  // The grpc-go hop: always a process of its own; on CPU 0 when split.
  if (!flags.Text("go_chain", "").empty()) {
    servers.emplace_back(kGoChainName, [&flags, split] {
      return OverloadTarget::Remote(
          StartGoChain(flags, 1, split ? 0 : ServerProcess::kAnyCpu));
    });
  }
  for (const auto& [name, start] : servers) {
    absl::StatusOr<std::unique_ptr<OverloadTarget>> started = start();
    if (!started.ok()) {
      std::fprintf(stderr, "%s server: %s\n", name.c_str(), started.status().ToString().c_str());
      return 1;
    }
    OverloadTarget& target = **started;
    load.address = target.address();
    std::printf("%s\n", name.c_str());
    // The peak: the best goodput of closed loops at `threads`, twice that, and so on up
    // to --concurrency calls in flight (always included). A closed loop past the knee
    // is no measure of capacity: refused calls come back at once and are sent again,
    // and the server spends its CPU answering them.
    std::vector<int> levels;
    for (int level = std::min(threads, concurrency); level < concurrency; level *= 2) {
      levels.push_back(level);
    }
    levels.push_back(concurrency);
    loadgen::Summary peak;
    for (int in_flight : levels) {
      load.concurrency = in_flight;
      const loadgen::Summary closed = RunClosedLoop(load);
      char label[32];
      std::snprintf(label, sizeof(label), "closed c=%d", in_flight);
      PrintSummary(label, closed);
      if (closed.ok_qps > peak.ok_qps) peak = closed;
    }
    const double rss_before = target.RssMiB();
    const int64_t runs_before = target.HandlerRuns();
    load.rate = peak.ok_qps * factor;
    const loadgen::Summary overloaded = RunOpenLoop(load);
    target.WaitForQuiet();
    const double rss_after = target.RssMiB();
    char label[32];
    std::snprintf(label, sizeof(label), "%.0fx", factor);
    PrintSummary(label, overloaded);
    const int64_t runs_after = target.HandlerRuns();
    const std::string runs =
        runs_before < 0 || runs_after < 0 ? "unknown" : std::to_string(runs_after - runs_before);
    std::printf(
        "    offered %.0f/s; goodput %.0f/s = %.1f%% of peak; handler runs %s; "
        "%s RSS %.1f -> %.1f MiB\n",
        load.rate, overloaded.ok_qps, 100 * overloaded.ok_qps / peak.ok_qps, runs.c_str(),
        target.RssIsServerOnly() ? "server" : "process", rss_before, rss_after);
  }
  return 0;
}

int Main(int argc, char** argv) {
  // Both C++ chains, and their server processes, use the allocator as the services do.
  runtime::ApplyAllocatorPolicy();
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const BenchFlags flags = BenchFlags::ParseOrExit(argc, argv, kFlags);
  const std::string serve = flags.Text("serve", "");
  if (!serve.empty()) return ServeHop(flags, serve);
  const std::string scenario = flags.Text("scenario", "chain");
  if (scenario == "waste") return RunWaste(flags);
  if (scenario == "overload") return RunOverload(flags);
  return RunChain(flags);  // Parse took no other value.
}

}  // namespace
}  // namespace baton::bench

int main(int argc, char** argv) { return baton::bench::Main(argc, argv); }
