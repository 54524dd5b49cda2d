#include "common/context/internal/timer_queue.h"

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace baton::context_internal {
namespace {

class TestTimer final : public Timer {
 public:
  explicit TestTimer(int id) : id(id) {}
  bool TryRetain() override { return false; }
  void Release() override {}
  void Fire() override {}
  const int id;
};

absl::Time At(int ms) { return absl::UnixEpoch() + absl::Milliseconds(ms); }

TEST(TimerQueue, PopsInDeadlineOrder) {
  TimerQueue queue;
  std::vector<std::unique_ptr<TestTimer>> timers;
  std::mt19937 random(7);
  std::vector<int> whens;
  for (int i = 0; i < 500; ++i) {
    timers.push_back(std::make_unique<TestTimer>(i));
    whens.push_back(static_cast<int>(random() % 1000));
    queue.Push(timers.back().get(), At(whens.back()));
  }
  // Remove a third of them from arbitrary places.
  std::vector<bool> removed(timers.size());
  for (size_t i = 0; i < timers.size(); i += 3) {
    EXPECT_TRUE(queue.Remove(timers[i].get()));
    EXPECT_FALSE(queue.Remove(timers[i].get()));
    removed[i] = true;
  }
  int last = -1;
  size_t popped = 0;
  while (Timer* t = queue.PopDue(At(1000))) {
    const int id = static_cast<TestTimer*>(t)->id;
    EXPECT_FALSE(removed[id]);
    EXPECT_GE(whens[id], last);
    last = whens[id];
    ++popped;
  }
  EXPECT_EQ(popped, timers.size() - (timers.size() + 2) / 3);
  EXPECT_EQ(queue.size(), 0u);
}

TEST(TimerQueue, PopDueRespectsNow) {
  TimerQueue queue;
  TestTimer a(1), b(2);
  queue.Push(&a, At(10));
  queue.Push(&b, At(20));
  EXPECT_EQ(queue.Earliest(), At(10));
  EXPECT_EQ(queue.PopDue(At(9)), nullptr);
  EXPECT_EQ(queue.PopDue(At(10)), &a);
  EXPECT_EQ(queue.PopDue(At(19)), nullptr);
  EXPECT_EQ(queue.PopDue(At(25)), &b);
  EXPECT_EQ(queue.Earliest(), absl::InfiniteFuture());
}

TEST(TimerQueue, RemovedTimerCanBePushedAgain) {
  TimerQueue queue;
  TestTimer a(1);
  queue.Push(&a, At(5));
  EXPECT_TRUE(queue.Remove(&a));
  queue.Push(&a, At(7));
  EXPECT_EQ(queue.PopDue(At(7)), &a);
}

}  // namespace
}  // namespace baton::context_internal
