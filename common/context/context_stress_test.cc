// Many threads deriving, cancelling, waiting and registering at once. Meant to be run
// under --config=tsan and --config=asan as well as plain.
#include <atomic>
#include <latch>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "common/context/context.h"
#include "common/context/introspection.h"
#include "gtest/gtest.h"

namespace baton {
namespace {

constexpr ContextKey<int> kWorker("worker");
constexpr int kThreads = 8;
constexpr int kRounds = 300;

TEST(ContextStress, ConcurrentDeriveCancelAndWait) {
  for (int round = 0; round < 20; ++round) {
    auto [root, cancel_root] = WithCancel(Background());
    std::atomic<int> callbacks{0};
    std::vector<std::thread> threads;
    std::latch go(1);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t, root = root] {
        go.wait();
        for (int i = 0; i < kRounds; ++i) {
          Context valued = WithValue(root, kWorker, t);
          auto [child, cancel] = WithTimeout(valued, absl::Microseconds(50 + i % 200));
          AfterFuncHandle handle = AfterFunc(child, [&] { ++callbacks; });
          auto [grandchild, cancel_grandchild] = WithCancel(child);
          if (i % 3 == 0) cancel();
          if (i % 5 == 0) grandchild.WaitFor(absl::Microseconds(100));
          EXPECT_EQ(*grandchild.Value(kWorker), t);
          if (i % 7 == 0) handle.Stop();
        }
      });
    }
    go.count_down();
    // Cancel the root while the workers are busy.
    absl::SleepFor(absl::Microseconds(200 * (round % 5)));
    cancel_root();
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(RegisteredChildren(root), 0u);
  }
}

TEST(ContextStress, CancelRacesWithChildDestruction) {
  for (int round = 0; round < 200; ++round) {
    auto [root, cancel_root] = WithCancel(Background());
    std::vector<DerivedContext<CancelHandle>> children;
    for (int i = 0; i < 64; ++i) children.push_back(WithCancel(root));
    std::thread destroyer([&children] { children.clear(); });
    cancel_root();
    destroyer.join();
    EXPECT_EQ(RegisteredChildren(root), 0u);
  }
}

TEST(ContextStress, StopWaitsForARunningCallback) {
  for (int round = 0; round < 100; ++round) {
    auto [ctx, cancel] = WithCancel(Background());
    std::latch started(1);
    std::atomic<bool> finished{false};
    AfterFuncHandle handle = AfterFunc(ctx, [&] {
      started.count_down();
      absl::SleepFor(absl::Microseconds(200));
      finished = true;
    });
    std::thread canceller([&cancel = cancel] { cancel(); });
    started.wait();
    EXPECT_FALSE(handle.Stop());
    // Stop() returned, so the callback has finished: its state may be destroyed now.
    EXPECT_TRUE(finished.load());
    canceller.join();
  }
}

TEST(ContextStress, ManyWaitersWakeOnCancel) {
  auto [ctx, cancel] = WithCancel(Background());
  std::atomic<int> woken{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 16; ++i) {
    waiters.emplace_back([&, c = ctx] {
      c.Wait();
      ++woken;
    });
  }
  absl::SleepFor(absl::Milliseconds(5));
  cancel();
  for (std::thread& waiter : waiters) waiter.join();
  EXPECT_EQ(woken.load(), 16);
}

TEST(ContextStress, ManyDeadlinesFireFromOneTimerThread) {
  std::vector<DerivedContext<CancelHandle>> contexts;
  for (int i = 0; i < 2000; ++i) {
    contexts.push_back(WithTimeout(Background(), absl::Microseconds(i % 5000)));
  }
  for (const auto& derived : contexts) {
    EXPECT_TRUE(derived.context.WaitFor(absl::Seconds(30)));
    EXPECT_EQ(derived.context.Err().code(), absl::StatusCode::kDeadlineExceeded);
  }
}

// A Cancel that loses the race to another thread's returns only once the winner has
// reached every descendant: the loser may rely on them being done.
TEST(ContextStress, ALosingCancelReturnsWithTheDescendantsDone) {
  for (int round = 0; round < 20; ++round) {
    auto [parent, cancel_parent] = WithCancel(Background());
    auto [before, cancel_before] = WithCancel(parent);
    auto [slow, cancel_slow] = WithCancel(parent);
    auto [after, cancel_after] = WithCancel(parent);
    std::latch started(1);
    // The winner cancels the children one by one; this one holds it up.
    AfterFuncHandle holds_up = AfterFunc(slow, [&] {
      started.count_down();
      absl::SleepFor(absl::Milliseconds(5));
    });
    std::thread winner([&cancel = cancel_parent] { cancel(); });
    started.wait();
    cancel_parent();  // Loses: the parent is done already.
    EXPECT_TRUE(before.IsDone());
    EXPECT_TRUE(slow.IsDone());
    EXPECT_TRUE(after.IsDone());
    winner.join();
  }
}

// The same one level down: the parent's cancel meets a child that another thread is
// still cancelling, and waits for that child's subtree.
TEST(ContextStress, ACancelWaitsForAChildAnotherThreadIsCancelling) {
  for (int round = 0; round < 20; ++round) {
    auto [parent, cancel_parent] = WithCancel(Background());
    auto [child, cancel_child] = WithCancel(parent);
    auto [slow, cancel_slow] = WithCancel(child);
    auto [before, cancel_before] = WithCancel(child);
    auto [after, cancel_after] = WithCancel(child);
    std::latch started(1);
    AfterFuncHandle holds_up = AfterFunc(slow, [&] {
      started.count_down();
      absl::SleepFor(absl::Milliseconds(5));
    });
    std::thread other([&cancel = cancel_child] { cancel(); });
    started.wait();
    cancel_parent();  // Wins the parent; the child is the other thread's.
    EXPECT_TRUE(child.IsDone());
    EXPECT_TRUE(before.IsDone());
    EXPECT_TRUE(after.IsDone());
    other.join();
  }
}

// A callback that cancels an ancestor of its own Context, while that ancestor's cancel
// is what runs it, returns at once instead of waiting for itself.
TEST(ContextStress, ACallbackCancellingItsOwnAncestorDoesNotWaitForItself) {
  auto [parent, cancel_parent] = WithCancel(Background());
  auto [child, cancel_child] = WithCancel(parent);
  auto [grandchild, cancel_grandchild] = WithCancel(child);
  bool ran = false;
  AfterFuncHandle handle = AfterFunc(grandchild, [&, &cancel = cancel_parent] {
    cancel();
    ran = true;
  });
  std::thread other([&cancel = cancel_child] { cancel(); });
  other.join();
  EXPECT_TRUE(ran);
  EXPECT_TRUE(parent.IsDone());
}

}  // namespace
}  // namespace baton
