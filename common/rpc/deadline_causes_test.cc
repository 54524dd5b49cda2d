#include "common/rpc/deadline_causes.h"

#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace baton::rpc {
namespace {

absl::Status Cause(int source, int64_t budget_ms) {
  return absl::DeadlineExceededError(absl::StrCat("source ", source, ", ", budget_ms, "ms"));
}

TEST(DeadlineCauses, TheSameBudgetSharesOneCause) {
  DeadlineCauses causes;
  int made = 0;
  auto make = [&] {
    ++made;
    return Cause(0, 998);
  };
  const absl::Status first = causes.Get(0, 998, make);
  const absl::Status second = causes.Get(0, 998, make);
  EXPECT_EQ(made, 1);
  EXPECT_EQ(first, second);
  EXPECT_EQ(first.message(), "source 0, 998ms");
}

TEST(DeadlineCauses, AnotherBudgetOrSourceGetsItsOwn) {
  DeadlineCauses causes;
  EXPECT_EQ(causes.Get(0, 998, [] { return Cause(0, 998); }).message(), "source 0, 998ms");
  EXPECT_EQ(causes.Get(0, 997, [] { return Cause(0, 997); }).message(), "source 0, 997ms");
  EXPECT_EQ(causes.Get(1, 998, [] { return Cause(1, 998); }).message(), "source 1, 998ms");
  // Still there: neighbouring keys live in different slots.
  int made = 0;
  const absl::Status again = causes.Get(0, 998, [&] {
    ++made;
    return Cause(0, 998);
  });
  EXPECT_EQ(made, 0);
  EXPECT_EQ(again.message(), "source 0, 998ms");
}

TEST(DeadlineCauses, AKeyThatTakesOverASlotNeverGetsTheOldCause) {
  DeadlineCauses causes;
  // Same slot: the key is budget * 4 + source, taken modulo the slot count.
  const int64_t budget = 10;
  const int64_t same_slot = budget + DeadlineCauses::kSlots / 4;
  EXPECT_EQ(causes.Get(0, budget, [&] { return Cause(0, budget); }).message(),
            absl::StrCat("source 0, ", budget, "ms"));
  EXPECT_EQ(causes.Get(0, same_slot, [&] { return Cause(0, same_slot); }).message(),
            absl::StrCat("source 0, ", same_slot, "ms"));
  EXPECT_EQ(causes.Get(0, budget, [&] { return Cause(0, budget); }).message(),
            absl::StrCat("source 0, ", budget, "ms"));
}

TEST(DeadlineCauses, NegativeAndExtremeBudgetsAreKeysLikeAnyOther) {
  DeadlineCauses causes;
  for (int64_t budget : {int64_t{-5}, int64_t{0}, std::numeric_limits<int64_t>::max(),
                         std::numeric_limits<int64_t>::min()}) {
    for (int source = 0; source < DeadlineCauses::kSources; ++source) {
      EXPECT_EQ(causes.Get(source, budget, [&] { return Cause(source, budget); }).message(),
                absl::StrCat("source ", source, ", ", budget, "ms"));
    }
  }
}

TEST(DeadlineCauses, ManyThreadsGetTheRightCause) {
  DeadlineCauses causes;
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&causes, &wrong, t] {
      for (int i = 0; i < 2000; ++i) {
        const int source = i % 4;
        const int64_t budget = (i * 7 + t) % 300;
        const absl::Status cause = causes.Get(source, budget, [&] { return Cause(source, budget); });
        if (cause.message() != absl::StrCat("source ", source, ", ", budget, "ms")) ++wrong[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace baton::rpc
