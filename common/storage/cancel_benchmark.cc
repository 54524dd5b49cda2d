// Cancel-to-abort latency per backend: a long query is running; the time from
// cancel() to the storage call returning, over many cancellations.
//
//   bazel run -c opt //common/storage:cancel_benchmark -- [--runs=1000] [--shared_cpus]
//
// Starts its own PostgreSQL on loopback (as the test suite does). By default the
// server gets the last CPU and this process the others — a database on a core of its
// own, as it would be on a machine of its own — so the figure is the storage layer's,
// not the scheduler's; --shared_cpus lets them share every core.
#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/storage/database.h"
#include "common/storage/testing/postgres_server.h"
#include "common/testing/bench_flags.h"

namespace baton::storage {
namespace {

using ::baton::testing::BenchFlags;
using ::baton::testing::FlagKind;

constexpr char kLongQuery[] =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
    "SELECT count(*) FROM n";

absl::Duration Percentile(std::vector<absl::Duration> values, double p) {
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

void Measure(const std::string& name, Database& db, int runs) {
  absl::BitGen random;
  std::vector<absl::Duration> latencies;
  int not_cancelled = 0;
  for (int i = 0; i < runs; ++i) {
    auto [ctx, cancel] = WithCancel(Background());
    absl::Notification started;
    absl::Time returned;
    absl::Status status;
    std::thread query([&, &ctx = ctx] {
      started.Notify();
      status = db.Query(ctx, kLongQuery).status();
      returned = absl::Now();
    });
    started.WaitForNotification();
    // Let the statement get going: cancel 1-5 ms into it.
    absl::SleepFor(absl::Microseconds(absl::Uniform(random, 1000, 5000)));
    const absl::Time cancelled = absl::Now();
    cancel();
    query.join();
    if (status.code() != absl::StatusCode::kCancelled) ++not_cancelled;
    latencies.push_back(returned - cancelled);
  }
  std::printf("%-8s runs %d  p50 %.3f ms  p99 %.3f ms  max %.3f ms  (not CANCELLED: %d)\n",
              name.c_str(), runs, absl::ToDoubleMilliseconds(Percentile(latencies, 0.50)),
              absl::ToDoubleMilliseconds(Percentile(latencies, 0.99)),
              absl::ToDoubleMilliseconds(Percentile(latencies, 1.0)), not_cancelled);
}

int Main(int argc, char** argv) {
  const BenchFlags flags = BenchFlags::ParseOrExit(
      argc, argv,
      {{"runs", FlagKind::kWholeNumber, 1}, {"shared_cpus", FlagKind::kSwitch}});
  const int runs = static_cast<int>(flags.Number("runs", 1000));
  const bool shared_cpus = flags.Has("shared_cpus");
  int server_cpu = -1;
  cpu_set_t mine;
  if (!shared_cpus && sched_getaffinity(0, sizeof(mine), &mine) == 0 && CPU_COUNT(&mine) >= 2) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &mine)) server_cpu = cpu;
    }
    CPU_CLR(server_cpu, &mine);
    sched_setaffinity(0, sizeof(mine), &mine);
  }
  std::printf("placement: %s\n",
              server_cpu < 0 ? "shared CPUs"
                             : absl::StrCat("PostgreSQL on CPU ", server_cpu,
                                            ", this process on the others")
                                   .c_str());
  const std::string path = "/tmp/baton-cancel-benchmark.db";
  std::remove(path.c_str());
  absl::StatusOr<std::unique_ptr<Database>> sqlite = OpenDatabase("sqlite://" + path);
  if (!sqlite.ok()) {
    std::fprintf(stderr, "%s\n", std::string(sqlite.status().message()).c_str());
    return 1;
  }
  Measure("sqlite", **sqlite, runs);
  std::remove(path.c_str());

  absl::StatusOr<std::unique_ptr<testing::PostgresServer>> server =
      testing::PostgresServer::Start(server_cpu);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<Database>> postgres = OpenDatabase((*server)->Url());
  if (!postgres.ok()) return 1;
  Measure("postgres", **postgres, runs);
  return 0;
}

}  // namespace
}  // namespace baton::storage

int main(int argc, char** argv) { return baton::storage::Main(argc, argv); }
