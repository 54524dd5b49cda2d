#include "tools/bench/remote_chain.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace baton::bench {

using ::baton::testing::ServerProcess;
namespace {

// A server side written in the shell, answering each question with a fixed line.
absl::StatusOr<std::unique_ptr<RemoteChain>> ScriptedChain(const std::string& waste_line) {
  return RemoteChain::Start(
      "/bin/sh",
      {"-c", absl::StrCat("echo 127.0.0.1:1; while read q; do case $q in runs) echo 7;; "
                          "quiet) echo quiet;; waste) echo '",
                          waste_line, "';; *) echo what;; esac; done")},
      ServerProcess::kAnyCpu);
}

TEST(RemoteChain, ReadsTheAddressAndEachAnswer) {
  absl::StatusOr<std::unique_ptr<RemoteChain>> chain = ScriptedChain("1 2 3 40 5 60");
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ((*chain)->address(), "127.0.0.1:1");
  EXPECT_EQ((*chain)->Runs().value_or(-1), 7);
  EXPECT_TRUE((*chain)->WaitForQuiet());
  absl::StatusOr<std::vector<HopWaste>> waste = (*chain)->Waste();
  ASSERT_TRUE(waste.ok()) << waste.status();
  ASSERT_EQ(waste->size(), 2u);
  EXPECT_EQ((*waste)[0].started, 1);
  EXPECT_EQ((*waste)[0].cut_short, 2);
  EXPECT_EQ((*waste)[0].cpu_ns_after_deadline, 3);
  EXPECT_EQ((*waste)[1].started, 40);
  EXPECT_EQ((*waste)[1].cut_short, 5);
  EXPECT_EQ((*waste)[1].cpu_ns_after_deadline, 60);
}

TEST(RemoteChain, AMalformedWasteLineIsAnError) {
  for (const std::string line : {"1 2", "1 2 x", ""}) {
    absl::StatusOr<std::unique_ptr<RemoteChain>> chain = ScriptedChain(line);
    ASSERT_TRUE(chain.ok()) << chain.status();
    EXPECT_EQ((*chain)->Waste().status().code(), absl::StatusCode::kInternal) << line;
  }
}

TEST(RemoteChain, AProgramThatSaysNoAddressIsAnError) {
  absl::StatusOr<std::unique_ptr<RemoteChain>> chain =
      RemoteChain::Start("/bin/true", {}, ServerProcess::kAnyCpu);
  EXPECT_EQ(chain.status().code(), absl::StatusCode::kUnavailable);
}

// ServeChain, the other side, in the benchmark binary itself (--serve): an idle chain
// of one hop has started nothing and wasted nothing.
TEST(RemoteChain, TheBenchmarksOwnServerAnswersTheProtocol) {
  const char* root = std::getenv("TEST_SRCDIR");
  const std::string program =
      absl::StrCat(root != nullptr ? root : ".", "/baton/tools/bench/chain_benchmark");
  absl::StatusOr<std::unique_ptr<RemoteChain>> chain =
      RemoteChain::Start(program, {"--serve=adapter", "--threads=1"}, ServerProcess::kAnyCpu);
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_NE((*chain)->address().find("127.0.0.1:"), std::string::npos) << (*chain)->address();
  EXPECT_EQ((*chain)->Runs().value_or(-1), 0);
  EXPECT_TRUE((*chain)->WaitForQuiet());
  absl::StatusOr<std::vector<HopWaste>> waste = (*chain)->Waste();
  ASSERT_TRUE(waste.ok()) << waste.status();
  ASSERT_EQ(waste->size(), 1u);
  EXPECT_EQ((*waste)[0].started, 0);
  EXPECT_EQ((*waste)[0].cpu_ns_after_deadline, 0);
}

}  // namespace
}  // namespace baton::bench
