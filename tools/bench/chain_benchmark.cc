// Benchmarks of deadline propagation across hops (docs/benchmarks.md §5–§7), each
// comparing a chain built on the adapter with the same chain on raw gRPC, in one
// process on loopback:
//
//   chain     3 hops of trivial work, closed loop at concurrency 32, 100 ms deadline:
//             QPS and latency percentiles.
//   waste     3 hops of 10 ms CPU work each, 20 ms deadline: CPU spent after the
//             deadline, summed over hops, per request.
//   overload  1 hop of 1 ms CPU work, 50 ms deadline: peak goodput in closed loop,
//             then an open loop at 3x that rate; goodput, and memory before/after.
//
//   bazel run -c opt //tools/bench:chain_benchmark -- --scenario=chain|waste|overload
//       [--seconds=N] [--rounds=N] [--concurrency=N] [--work_us=N] [--deadline_ms=N]
//       [--threads=N] [--overload_factor=X]
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "tools/bench/chain.h"
#include "tools/bench/chain_load.h"

namespace baton::bench {
namespace {

std::string FlagString(int argc, char** argv, const std::string& name,
                       const std::string& fallback) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (absl::StartsWith(argv[i], prefix)) return std::string(argv[i] + prefix.size());
  }
  return fallback;
}

double FlagNumber(int argc, char** argv, const std::string& name, double fallback) {
  double value = fallback;
  const std::string text = FlagString(argc, argv, name, "");
  if (!text.empty() && !absl::SimpleAtod(text, &value)) {
    std::fprintf(stderr, "--%s: not a number: %s\n", name.c_str(), text.c_str());
    std::exit(2);
  }
  return value;
}

// "VmRSS" or "VmHWM" of this process, in MiB.
double MemoryMiB(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (absl::StartsWith(line, field + ":")) {
      double kib = 0;
      std::string number = line.substr(field.size() + 1);
      number.erase(0, number.find_first_not_of(" \t"));
      number = number.substr(0, number.find(' '));
      if (absl::SimpleAtod(number, &kib)) return kib / 1024;
    }
  }
  return 0;
}

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
LoadOptions LoadFromFlags(int argc, char** argv, LoadOptions defaults) {
  LoadOptions load = defaults;
  load.duration = absl::Seconds(
      FlagNumber(argc, argv, "seconds", absl::ToDoubleSeconds(defaults.duration)));
  load.deadline = absl::Milliseconds(
      FlagNumber(argc, argv, "deadline_ms", absl::ToDoubleMilliseconds(defaults.deadline)));
  load.concurrency =
      static_cast<int>(FlagNumber(argc, argv, "concurrency", defaults.concurrency));
  load.work_us = static_cast<int>(FlagNumber(argc, argv, "work_us", defaults.work_us));
  return load;
}

ChainOptions ChainFor(ChainKind kind, int hops, int threads) {
  ChainOptions options;
  options.kind = kind;
  options.hops = hops;
  options.threads = threads;
  return options;
}

int RunChain(int argc, char** argv) {
  const int rounds = static_cast<int>(FlagNumber(argc, argv, "rounds", 5));
  LoadOptions load = LoadFromFlags(
      argc, argv,
      {.duration = absl::Seconds(3), .deadline = absl::Milliseconds(100), .work_us = 0,
       .concurrency = 32});
  const int threads = static_cast<int>(FlagNumber(argc, argv, "threads", 8));
  std::printf("chain: 3 hops, concurrency %d, deadline %.0f ms, work %d us per hop\n",
              load.concurrency, absl::ToDoubleMilliseconds(load.deadline), load.work_us);
  const ChainKind kinds[] = {ChainKind::kAdapter, ChainKind::kRawSync, ChainKind::kRawCallback};
  std::vector<std::unique_ptr<Chain>> chains;
  for (ChainKind kind : kinds) chains.push_back(std::make_unique<Chain>(ChainFor(kind, 3, threads)));
  for (int round = 1; round <= rounds; ++round) {
    std::printf("round %d\n", round);
    for (size_t i = 0; i < chains.size(); ++i) {
      load.address = chains[i]->address();
      PrintSummary(ChainKindName(kinds[i]), RunClosedLoop(load));
    }
  }
  return 0;
}

int RunWaste(int argc, char** argv) {
  LoadOptions load = LoadFromFlags(
      argc, argv,
      {.duration = absl::Seconds(5), .deadline = absl::Milliseconds(20), .work_us = 10000,
       .concurrency = 1});
  const int threads = static_cast<int>(FlagNumber(argc, argv, "threads", 8));
  std::printf("waste: 3 hops, %d us of CPU work per hop, deadline %.0f ms, concurrency %d\n",
              load.work_us, absl::ToDoubleMilliseconds(load.deadline), load.concurrency);
  for (ChainKind kind : {ChainKind::kAdapter, ChainKind::kRawSync, ChainKind::kRawCallback}) {
    Chain chain(ChainFor(kind, 3, threads));
    load.address = chain.address();
    const loadgen::Summary summary = RunClosedLoop(load);
    const bool quiet = chain.WaitForQuiet(absl::Seconds(10));
    PrintSummary(ChainKindName(kind), summary);
    int64_t total_ns = 0;
    for (int hop = 0; hop < chain.hops(); ++hop) {
      const WasteCounter& waste = chain.waste(hop);
      total_ns += waste.cpu_ns_after_deadline.load();
      std::printf("    hop %d: work pieces %lld (cut short %lld), CPU after deadline %.3f ms/request\n",
                  hop + 1, static_cast<long long>(waste.pieces_started.load()),
                  static_cast<long long>(waste.pieces_cut_short.load()),
                  waste.cpu_ns_after_deadline.load() / 1e6 / summary.calls);
    }
    std::printf("    => CPU after the deadline, all hops: %.3f ms per request%s\n",
                total_ns / 1e6 / summary.calls, quiet ? "" : " (hops still busy at the end!)");
  }
  return 0;
}

int RunOverload(int argc, char** argv) {
  LoadOptions load = LoadFromFlags(
      argc, argv,
      {.duration = absl::Seconds(5), .deadline = absl::Milliseconds(50), .work_us = 1000,
       .concurrency = 8});
  const int threads = static_cast<int>(FlagNumber(argc, argv, "threads", 2));
  const double factor = FlagNumber(argc, argv, "overload_factor", 3);
  std::printf("overload: 1 hop, %d us of CPU work, deadline %.0f ms, %d worker threads\n",
              load.work_us, absl::ToDoubleMilliseconds(load.deadline), threads);
  for (ChainKind kind : {ChainKind::kAdapter, ChainKind::kRawSync, ChainKind::kRawCallback}) {
    Chain chain(ChainFor(kind, 1, threads));
    load.address = chain.address();
    const loadgen::Summary peak = RunClosedLoop(load);
    std::printf("%s\n", ChainKindName(kind));
    PrintSummary("peak", peak);
    const double rss_before = MemoryMiB("VmRSS");
    const int64_t pieces_before = chain.waste(0).pieces_started.load();
    load.rate = peak.ok_qps * factor;
    const loadgen::Summary overloaded = RunOpenLoop(load);
    chain.WaitForQuiet(absl::Seconds(30));
    const double rss_after = MemoryMiB("VmRSS");
    char label[32];
    std::snprintf(label, sizeof(label), "%.0fx", factor);
    PrintSummary(label, overloaded);
    std::printf("    offered %.0f/s; goodput %.0f/s = %.1f%% of peak; handler runs %lld; "
                "RSS %.1f -> %.1f MiB\n",
                load.rate, overloaded.ok_qps, 100 * overloaded.ok_qps / peak.ok_qps,
                static_cast<long long>(chain.waste(0).pieces_started.load() - pieces_before),
                rss_before, rss_after);
  }
  return 0;
}

int Main(int argc, char** argv) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const std::string scenario = FlagString(argc, argv, "scenario", "chain");
  if (scenario == "chain") return RunChain(argc, argv);
  if (scenario == "waste") return RunWaste(argc, argv);
  if (scenario == "overload") return RunOverload(argc, argv);
  std::fprintf(stderr, "--scenario must be chain, waste or overload, not %s\n", scenario.c_str());
  return 2;
}

}  // namespace
}  // namespace baton::bench

int main(int argc, char** argv) { return baton::bench::Main(argc, argv); }
