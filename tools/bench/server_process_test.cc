#include "tools/bench/server_process.h"

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace baton::bench {
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
  EXPECT_GT((*cat)->RssMiB(), 0);
  // The destructor closes the child's stdin, and cat ends: reaped, not left behind.
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
}  // namespace baton::bench
