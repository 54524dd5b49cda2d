// The binaries' command lines: --help says what the service is, and a bad flag or an
// unusable storage URL stops the start with a message naming it — never a crash; the
// serving line says how the allocator gives memory back.
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/testing/child_process.h"
#include "tests/testing/shop_suite.h"

namespace baton::testing {
namespace {

struct Outcome {
  std::optional<int> code;
  std::string output;
};

// Bazel's per-test directory, or /tmp when run by hand.
std::string TestTmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

Outcome RunBinary(const std::string& service, std::vector<std::string> flags) {
  const std::string log = TestTmpDir() + "/" + service + "-flags.log";
  std::remove(log.c_str());
  flags.insert(flags.begin(), RunfilePath("services/" + service + "/" + service));
  absl::StatusOr<ChildProcess> process = ChildProcess::Start(flags, log);
  if (!process.ok()) return {std::nullopt, std::string(process.status().message())};
  std::optional<int> code = process->WaitFor(absl::Seconds(30));
  return {code, ReadFile(log)};
}

TEST(ServiceFlags, HelpDescribesTheService) {
  for (const char* service : {"catalog", "inventory", "orders", "gateway"}) {
    Outcome run = RunBinary(service, {"--help"});
    EXPECT_TRUE(absl::StrContains(run.output, std::string("baton-") + service)) << run.output;
    EXPECT_TRUE(absl::StrContains(run.output, "--storage")) << run.output;
  }
}

TEST(ServiceFlags, BadValuesStopTheStartNamingTheFlag) {
  const std::string tmp = TestTmpDir();
  const struct {
    std::vector<std::string> flags;
    int code;
    const char* says;
  } cases[] = {
      {{"--storage=mysql://db"}, 1, "--storage=mysql://db"},
      {{"--storage=sqlite:///no/such/dir/x.db"}, 1, "--storage"},
      {{"--log_format=xml"}, 2, "--log_format"},
      {{"--default_deadline=0s"}, 2, "default_deadline"},
      {{"--worker_threads=0"}, 2, "worker_threads"},
      {{"--stream_threads=0"}, 2, "stream_threads"},
      {{"--max_message_bytes=0"}, 2, "--max_message_bytes"},
      {{"--max_metadata_bytes=100"}, 2, "--max_metadata_bytes"},
      {{"--max_reconnect_backoff=1ms"}, 2, "--max_reconnect_backoff"},
      {{"--listen=256.1.1.1:1", "--storage=sqlite://" + tmp + "/listen.db"},
       1,
       "cannot listen on 256.1.1.1:1"},
  };
  for (const auto& bad : cases) {
    Outcome run = RunBinary("catalog", bad.flags);
    EXPECT_EQ(run.code, bad.code) << bad.flags[0] << ": " << run.output;
    EXPECT_TRUE(absl::StrContains(run.output, bad.says)) << bad.flags[0] << ": " << run.output;
  }
}

TEST(ServiceFlags, DownstreamAddressIsRequired) {
  const std::string tmp = TestTmpDir();
  Outcome run = RunBinary("orders", {"--catalog_address=", "--storage=sqlite://" + tmp + "/o.db"});
  EXPECT_EQ(run.code, 2) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "--catalog_address is required")) << run.output;
}

// The allocator policy (common/runtime/allocator_policy.h) is applied at start and said
// on the serving line; an operator's own glibc setting is kept instead.
TEST(ServiceFlags, TheServingLineSaysWhatTheAllocatorKeeps) {
  const std::string tmp = TestTmpDir();
  const struct {
    const char* operators_threshold;  // MALLOC_TRIM_THRESHOLD_, or null for none
    std::vector<std::string> says;    // One of these.
  } cases[] = {
      // A sanitizer's allocator may refuse the policy.
      {nullptr, {R"("allocator":"4MiB kept")", R"("allocator":"refused by malloc")"}},
      {"131072", {R"("allocator":"operator's MALLOC_TRIM_THRESHOLD_")"}},
  };
  for (const auto& one : cases) {
    // The child inherits this process's environment.
    if (one.operators_threshold != nullptr) {
      setenv("MALLOC_TRIM_THRESHOLD_", one.operators_threshold, 1);
    }
    const std::string log = tmp + "/allocator.log";
    const std::string port_file = tmp + "/allocator.port";
    std::remove(log.c_str());
    std::remove(port_file.c_str());
    absl::StatusOr<ChildProcess> catalog = ChildProcess::Start(
        {RunfilePath("services/catalog/catalog"), "--listen=127.0.0.1:0",
         "--port_file=" + port_file, "--storage=sqlite://" + tmp + "/allocator.db"},
        log);
    unsetenv("MALLOC_TRIM_THRESHOLD_");
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    EXPECT_TRUE(WaitForPortFile(port_file, *catalog, absl::Seconds(30)).ok()) << ReadFile(log);
    catalog->Signal(SIGTERM);
    EXPECT_EQ(catalog->WaitFor(absl::Seconds(30)), 0) << ReadFile(log);
    const std::string output = ReadFile(log);
    EXPECT_TRUE(std::any_of(one.says.begin(), one.says.end(),
                            [&](const std::string& says) {
                              return absl::StrContains(output, says);
                            }))
        << output;
  }
}

}  // namespace
}  // namespace baton::testing
