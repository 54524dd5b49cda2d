#include "common/testing/bench_flags.h"

#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace baton::testing {
namespace {

const std::vector<FlagSpec> kDeclared = {{"seconds", FlagKind::kNumber, 0.1},
                                         {"rounds", FlagKind::kWholeNumber, 1},
                                         {"client", FlagKind::kText},
                                         {"only", FlagKind::kText, 0, {"bare", "adapter"}},
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

TEST(BenchFlagsTest, PassesAFlagOnAsGiven) {
  absl::StatusOr<BenchFlags> flags = ParseArgs({"--rounds=3", "--log"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->AsArgument("rounds"), "--rounds=3");
  EXPECT_EQ(flags->AsArgument("log"), "--log");
}

TEST(BenchFlagsTest, TheLastOfARepeatedFlagCounts) {
  absl::StatusOr<BenchFlags> flags = ParseArgs({"--client=grpc", "--client=h2load"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->Text("client", ""), "h2load");
}

TEST(BenchFlagsTest, RefusesAnUndeclaredFlagAndListsTheDeclaredOnes) {
  const std::string message = Refusal({"--seconds=1", "--tag=x"});
  EXPECT_TRUE(absl::StrContains(message, "unknown flag --tag")) << message;
  EXPECT_TRUE(absl::StrContains(message, "--seconds=N --rounds=N --client=TEXT --only=TEXT --log"))
      << message;
}

TEST(BenchFlagsTest, RefusesAValueFlagWithoutAValue) {
  EXPECT_TRUE(absl::StrContains(Refusal({"--client="}), "--client takes a value"));
  EXPECT_TRUE(absl::StrContains(Refusal({"--seconds"}), "--seconds takes a value"));
  EXPECT_TRUE(absl::StrContains(Refusal({"--seconds="}), "--seconds takes a value"));
}

TEST(BenchFlagsTest, ATextValueMayHoldAnEqualsSign) {
  absl::StatusOr<BenchFlags> flags = ParseArgs({"--client=a=b"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->Text("client", ""), "a=b");
}

TEST(BenchFlagsTest, RefusesASwitchGivenAValue) {
  EXPECT_TRUE(absl::StrContains(Refusal({"--log=1"}), "--log takes no value"));
}

TEST(BenchFlagsTest, RefusesANumberThatIsNotOne) {
  EXPECT_TRUE(absl::StrContains(Refusal({"--seconds=two"}),
                                "--seconds must be a number, not \"two\""));
  EXPECT_TRUE(absl::StrContains(Refusal({"--seconds=nan"}), "--seconds must be a number"));
  EXPECT_TRUE(absl::StrContains(Refusal({"--seconds=inf"}), "--seconds must be a number"));
}

TEST(BenchFlagsTest, RefusesAWholeNumberThatIsNotWhole) {
  EXPECT_TRUE(absl::StrContains(Refusal({"--rounds=2.5"}),
                                "--rounds must be a whole number, not \"2.5\""));
  EXPECT_TRUE(absl::StrContains(Refusal({"--rounds=1e12"}), "--rounds must be a whole number"));
}

TEST(BenchFlagsTest, RefusesAValueNotOneOfTheFlags) {
  EXPECT_TRUE(absl::StrContains(Refusal({"--only=both"}),
                                "--only must be bare or adapter, not both"));
  absl::StatusOr<BenchFlags> flags = ParseArgs({"--only=adapter"});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->Text("only", ""), "adapter");
}

TEST(BenchFlagsTest, RefusesANumberBelowItsLeast) {
  EXPECT_TRUE(absl::StrContains(Refusal({"--rounds=0"}), "--rounds must be at least 1, not 0"));
  EXPECT_TRUE(absl::StrContains(Refusal({"--seconds=-3"}), "--seconds must be at least 0.1"));
}

TEST(BenchFlagsDeathTest, ReadingAFlagNeverDeclaredStopsNamingIt) {
  absl::StatusOr<BenchFlags> flags = ParseArgs({});
  ASSERT_TRUE(flags.ok());
  EXPECT_DEATH(flags->Number("second", 3), "--second is read but was never declared");
  EXPECT_DEATH(flags->Number("client", 3), "--client is read as a number");
  EXPECT_DEATH(flags->Text("log", ""), "--log is a switch");
}

TEST(BenchFlagsDeathTest, ParseOrExitExitsWithUsageStatusNamingTheRefusal) {
  const char* args[] = {"benchmark", "--rounds=0"};
  EXPECT_EXIT(BenchFlags::ParseOrExit(2, args, kDeclared), ::testing::ExitedWithCode(2),
              "--rounds must be at least 1, not 0");
  const char* good[] = {"benchmark", "--rounds=4"};
  EXPECT_EQ(BenchFlags::ParseOrExit(2, good, kDeclared).Number("rounds", 1), 4);
}

TEST(BenchFlagsTest, RefusesAnArgumentThatIsNotAFlag) {
  EXPECT_TRUE(absl::StrContains(Refusal({"seconds=2"}), "unexpected argument \"seconds=2\""));
  EXPECT_TRUE(absl::StrContains(Refusal({"--"}), "unexpected argument \"--\""));
}

}  // namespace
}  // namespace baton::testing
