// WorkerPool::TryRunHere: threads of other pools' (the adapter's pollers) running an
// item themselves, within the pool's bound on items running at once.
#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/rpc/testing/queued_items.h"
#include "common/rpc/worker_pool.h"
#include "gtest/gtest.h"

namespace baton::rpc {
namespace {

using testing::Item;
using testing::OccupiedWorker;
using testing::OneWorker;

TEST(WorkerPool, RunningHereTakesAWorkersPlaceUntilDone) {
  WorkerPool pool(OneWorker(8, 8));
  EXPECT_FALSE(WorkerPool::OnWorkerThread());
  ASSERT_TRUE(pool.TryRunHere());
  EXPECT_TRUE(WorkerPool::OnWorkerThread());  // Blocking is allowed here meanwhile.
  EXPECT_EQ(pool.busy(), 1u);
  // The one place is taken: neither another thread's claim nor the worker runs more.
  EXPECT_FALSE(pool.TryRunHere());
  Item queued(Background());
  ASSERT_EQ(pool.Submit(&queued, Criticality::kCritical), WorkerPool::Admission::kQueued);
  EXPECT_FALSE(queued.started.WaitForNotificationWithTimeout(absl::Milliseconds(50)));
  pool.DoneRunningHere();
  EXPECT_FALSE(WorkerPool::OnWorkerThread());
  queued.finished.WaitForNotification();
  EXPECT_TRUE(queued.ran);
}

TEST(WorkerPool, NoOneRunsHereWhileWorkWaitsOrAfterStop) {
  WorkerPool pool(OneWorker(8, 8));
  {
    OccupiedWorker occupied(pool);
    EXPECT_FALSE(pool.TryRunHere());  // Every place taken.
    Item waiting(Background());
    ASSERT_EQ(pool.Submit(&waiting, Criticality::kCritical), WorkerPool::Admission::kQueued);
    occupied.Release();
    waiting.finished.WaitForNotification();
  }
  pool.Stop();
  EXPECT_FALSE(pool.TryRunHere());
}

// Claims to run here race the workers for the same places, without the pool's lock:
// never more than `threads` run at once, and every queued item still runs.
TEST(WorkerPool, ThreadsRunningHereAndWorkersShareTheBoundUnderContention) {
  constexpr int kThreads = 2;
  constexpr int kClaimers = 4;
  constexpr int kClaimsEach = 2000;
  constexpr int kSubmitted = 400;
  WorkerPool::Options options;
  options.threads = kThreads;
  options.queue_bound = kSubmitted;
  options.shed_threshold = kSubmitted;
  WorkerPool pool(options);
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  // What an item does while it holds a place, run by a worker or by a claimer.
  const std::function<void()> enter = [&] {
    const int now = running.fetch_add(1) + 1;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::yield();
    running.fetch_sub(1);
  };
  class Counted final : public QueuedWork {
   public:
    explicit Counted(const std::function<void()>& enter) : enter_(enter) {}
    const Context& context() const override { return ctx_; }
    void Run() override {
      enter_();
      finished.Notify();
    }
    void Drop(absl::Status) override { finished.Notify(); }
    absl::Notification finished;

   private:
    Context ctx_ = Background();
    const std::function<void()>& enter_;
  };
  std::vector<std::unique_ptr<Counted>> items;
  for (int i = 0; i < kSubmitted; ++i) items.push_back(std::make_unique<Counted>(enter));
  std::vector<std::thread> claimers;
  for (int c = 0; c < kClaimers; ++c) {
    claimers.emplace_back([&] {
      for (int i = 0; i < kClaimsEach; ++i) {
        if (!pool.TryRunHere()) continue;
        enter();
        pool.DoneRunningHere();
      }
    });
  }
  for (const std::unique_ptr<Counted>& item : items) {
    // EXPECT: the claimers must still be joined.
    EXPECT_EQ(pool.Submit(item.get(), Criticality::kCritical), WorkerPool::Admission::kQueued);
  }
  for (std::thread& claimer : claimers) claimer.join();
  for (const std::unique_ptr<Counted>& item : items) {
    ASSERT_TRUE(item->finished.WaitForNotificationWithTimeout(absl::Seconds(10)));
  }
  EXPECT_LE(most.load(), kThreads);
  // The last item has finished; its worker gives its place back just after.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (pool.busy() > 0 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_EQ(pool.busy(), 0u);
}

}  // namespace
}  // namespace baton::rpc
