#include "common/testing/server_process.h"

#include <sched.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace baton::testing {
namespace {

TEST(ServerProcess, TalksLineByLineWithTheChild) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> cat = ServerProcess::Start("/bin/cat", {}, 0);
  ASSERT_TRUE(cat.ok()) << cat.status();
  for (const std::string line : {"runs", "quiet", ""}) {
    ASSERT_TRUE((*cat)->WriteLine(line).ok());
    absl::StatusOr<std::string> echoed = (*cat)->ReadLine();
    ASSERT_TRUE(echoed.ok()) << echoed.status();
    EXPECT_EQ(*echoed, line);
  }
  absl::StatusOr<std::string> answer = (*cat)->Ask("waste");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(*answer, "waste");
  EXPECT_GT((*cat)->RssMiB(), 0);
  // The destructor closes the child's stdin, and cat ends: reaped, not left behind.
}

TEST(ServerProcess, CountsTheCpuTheChildSpends) {
  // A shell loop of a few hundred thousand steps: well over the clock tick (10 ms).
  absl::StatusOr<std::unique_ptr<ServerProcess>> shell = ServerProcess::Start(
      "/bin/sh", {"-c", "read line; i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo done"},
      ServerProcess::kAnyCpu);
  ASSERT_TRUE(shell.ok()) << shell.status();
  const double before = (*shell)->CpuSeconds();
  absl::StatusOr<std::string> answer = (*shell)->Ask("go");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(*answer, "done");
  EXPECT_GT((*shell)->CpuSeconds(), before);
}

TEST(ServerProcess, OnAnyCpuTheChildKeepsTheCallersCpus) {
  cpu_set_t mine;
  ASSERT_EQ(sched_getaffinity(0, sizeof(mine), &mine), 0);
  absl::StatusOr<std::unique_ptr<ServerProcess>> shell = ServerProcess::Start(
      "/bin/sh", {"-c", "read line; grep Cpus_allowed_list /proc/self/status | cut -f2"},
      ServerProcess::kAnyCpu);
  ASSERT_TRUE(shell.ok()) << shell.status();
  absl::StatusOr<std::string> allowed = (*shell)->Ask("go");
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  // A list of CPUs and ranges: "0-1", "0,2-3".
  cpu_set_t its;
  CPU_ZERO(&its);
  for (absl::string_view range : absl::StrSplit(*allowed, ',')) {
    std::pair<absl::string_view, absl::string_view> ends = absl::StrSplit(range, '-');
    int first = 0, last = 0;
    ASSERT_TRUE(absl::SimpleAtoi(ends.first, &first)) << *allowed;
    if (ends.second.empty()) {
      last = first;
    } else {
      ASSERT_TRUE(absl::SimpleAtoi(ends.second, &last)) << *allowed;
    }
    for (int cpu = first; cpu <= last; ++cpu) CPU_SET(cpu, &its);
  }
  EXPECT_TRUE(CPU_EQUAL(&its, &mine)) << *allowed;
}

TEST(ServerProcess, AChildThatIsGoneIsAnErrorNotASignal) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> gone = ServerProcess::Start("/bin/true", {}, 0);
  ASSERT_TRUE(gone.ok()) << gone.status();
  EXPECT_EQ((*gone)->ReadLine().status().code(), absl::StatusCode::kUnavailable);
  // Its stdin has no reader once the kernel has released it, which may come just after
  // the end of its stdout: then writing must fail, not kill this process by SIGPIPE.
  absl::Status written;
  for (int i = 0; i < 200 && written.ok(); ++i) {
    written = (*gone)->WriteLine("anyone there?");
    if (written.ok()) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(written.code(), absl::StatusCode::kUnavailable);
}

TEST(ServerProcess, AProgramThatCannotRunIsAnError) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> missing =
      ServerProcess::Start("/nonexistent/program", {"--flag"}, 0);
  ASSERT_TRUE(missing.ok()) << missing.status();  // fork succeeded; exec did not.
  EXPECT_FALSE((*missing)->ReadLine().ok());
}

TEST(StatusFieldMiB, ReadsAFieldAndIsZeroForAMissingOne) {
  EXPECT_GT(StatusFieldMiB("/proc/self/status", "VmRSS"), 0);
  EXPECT_EQ(StatusFieldMiB("/proc/self/status", "NoSuchField"), 0);
  EXPECT_EQ(StatusFieldMiB("/nonexistent/status", "VmRSS"), 0);
}

}  // namespace
}  // namespace baton::testing
