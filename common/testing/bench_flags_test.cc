#include "common/testing/bench_flags.h"

#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace baton::testing {
namespace {

const std::vector<FlagSpec> kDeclared = {{"seconds", FlagKind::kNumber},
                                         {"client", FlagKind::kText},
                                         {"log", FlagKind::kSwitch}};

absl::StatusOr<BenchFlags> ParseArgs(std::vector<const char*> args) {
  args.insert(args.begin(), "benchmark");
  return BenchFlags::Parse(static_cast<int>(args.size()), args.data(), kDeclared);
}

// The error's message, for flags that must be refused.
std::string Refusal(std::vector<const char*> args) {
  absl::StatusOr<BenchFlags> flags = ParseArgs(std::move(args));
  EXPECT_FALSE(flags.ok());
  return flags.ok() ? "" : std::string(flags.status().message());
}

TEST(BenchFlagsTest, ReadsDeclaredFlagsAndFallsBack) {
  absl::StatusOr<BenchFlags> flags = ParseArgs({"--seconds=2.5", "--log"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->Number("seconds", 3), 2.5);
  EXPECT_TRUE(flags->Has("log"));
  EXPECT_FALSE(flags->Has("client"));
  EXPECT_EQ(flags->Text("client", "h2load"), "h2load");
}

TEST(BenchFlagsTest, TheLastOfARepeatedFlagCounts) {
  absl::StatusOr<BenchFlags> flags = ParseArgs({"--client=grpc", "--client=h2load"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->Text("client", ""), "h2load");
}

TEST(BenchFlagsTest, RefusesAnUndeclaredFlagAndListsTheDeclaredOnes) {
  const std::string message = Refusal({"--seconds=1", "--tag=x"});
  EXPECT_TRUE(absl::StrContains(message, "unknown flag --tag")) << message;
  EXPECT_TRUE(absl::StrContains(message, "--seconds=N --client=TEXT --log")) << message;
}

TEST(BenchFlagsTest, RefusesAValueFlagWithoutAValue) {
  EXPECT_TRUE(absl::StrContains(Refusal({"--client="}), "--client takes a value"));
  EXPECT_TRUE(absl::StrContains(Refusal({"--seconds"}), "--seconds takes a value"));
}

TEST(BenchFlagsTest, RefusesASwitchGivenAValue) {
  EXPECT_TRUE(absl::StrContains(Refusal({"--log=1"}), "--log takes no value"));
}

TEST(BenchFlagsTest, RefusesANumberThatIsNotOne) {
  EXPECT_TRUE(absl::StrContains(Refusal({"--seconds=two"}),
                                "--seconds must be a number, not \"two\""));
}

TEST(BenchFlagsTest, RefusesAnArgumentThatIsNotAFlag) {
  EXPECT_TRUE(absl::StrContains(Refusal({"seconds=2"}), "unexpected argument \"seconds=2\""));
  EXPECT_TRUE(absl::StrContains(Refusal({"--"}), "unexpected argument \"--\""));
}

}  // namespace
}  // namespace baton::testing
