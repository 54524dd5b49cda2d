#include "common/rpc/worker_pool.h"

#include <sched.h>

#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/context/thread_scheduling.h"
#include "common/rpc/testing/queued_items.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::rpc {
namespace {

using testing::Item;
using testing::OccupiedWorker;
using testing::OneWorker;

TEST(WorkerPool, RunsSubmittedWork) {
  WorkerPool pool(WorkerPool::Options{});
  std::vector<std::unique_ptr<Item>> items;
  for (int i = 0; i < 50; ++i) {
    items.push_back(std::make_unique<Item>(Background()));
    EXPECT_EQ(pool.Submit(items.back().get(), Criticality::kCritical),
              WorkerPool::Admission::kQueued);
  }
  for (auto& item : items) {
    item->finished.WaitForNotification();
    EXPECT_TRUE(item->ran);
  }
}

TEST(WorkerPool, WorkersRunUnderBatchSchedulingWhenAsked) {
  if (!BatchSchedulingAllowed()) GTEST_SKIP() << "this machine refuses SCHED_BATCH";
  // The pool's threads inherit this thread's policy unless asked for SCHED_BATCH.
  const int process_policy = sched_getscheduler(0);
  for (bool batch : {true, false}) {
    WorkerPool::Options options;
    options.threads = 1;
    options.batch_scheduling = batch;
    WorkerPool pool(options);
    Item item(Background());
    ASSERT_EQ(pool.Submit(&item, Criticality::kCritical), WorkerPool::Admission::kQueued);
    item.finished.WaitForNotification();
    EXPECT_EQ(item.policy, batch ? SCHED_BATCH : process_policy) << "batch_scheduling " << batch;
  }
  // The policy is the workers' own, not the process's.
  EXPECT_EQ(sched_getscheduler(0), process_policy);
}

TEST(WorkerPool, FullQueueRefusesAndShedsSheddableFirst) {
  WorkerPool pool(OneWorker(/*bound=*/3, /*shed=*/1));
  OccupiedWorker busy(pool);

  Item first(Background());
  EXPECT_EQ(pool.Submit(&first, Criticality::kSheddable), WorkerPool::Admission::kQueued);
  Item sheddable(Background());
  EXPECT_EQ(pool.Submit(&sheddable, Criticality::kSheddablePlus),
            WorkerPool::Admission::kShed);
  Item critical(Background());
  EXPECT_EQ(pool.Submit(&critical, Criticality::kCritical), WorkerPool::Admission::kQueued);
  Item critical_plus(Background());
  EXPECT_EQ(pool.Submit(&critical_plus, Criticality::kCriticalPlus),
            WorkerPool::Admission::kQueued);
  Item over(Background());
  EXPECT_EQ(pool.Submit(&over, Criticality::kCriticalPlus),
            WorkerPool::Admission::kQueueFull);
  busy.Release();
  for (Item* item : {&busy.item(), &first, &critical, &critical_plus}) {
    item->finished.WaitForNotification();
    EXPECT_TRUE(item->ran);
  }
}

TEST(WorkerPool, WorkWhoseContextEndedWhileQueuedIsDroppedNotRun) {
  WorkerPool pool(OneWorker(8, 8));
  OccupiedWorker busy(pool);

  auto [short_deadline, cancel_deadline] = WithTimeout(Background(), absl::Milliseconds(5));
  Item expired(short_deadline);
  auto [cancelled_ctx, cancel] = WithCancelCause(Background());
  Item cancelled(cancelled_ctx);
  ASSERT_EQ(pool.Submit(&expired, Criticality::kCritical), WorkerPool::Admission::kQueued);
  ASSERT_EQ(pool.Submit(&cancelled, Criticality::kCritical),
            WorkerPool::Admission::kQueued);
  cancel(absl::CancelledError("cancelled by caller"));
  ASSERT_TRUE(short_deadline.WaitFor(absl::Seconds(10)));
  busy.Release();

  expired.finished.WaitForNotification();
  cancelled.finished.WaitForNotification();
  EXPECT_FALSE(expired.ran);
  EXPECT_EQ(expired.dropped.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(cancelled.ran);
  EXPECT_EQ(cancelled.dropped, absl::CancelledError("cancelled by caller"));
  EXPECT_EQ(pool.expired_in_queue(), 2u);
}

TEST(WorkerPool, FirstInFirstOutWhileTheQueueKeepsUp) {
  WorkerPool pool(OneWorker(8, 8));
  OccupiedWorker busy(pool);
  std::vector<const Item*> order;
  auto [ctx, cancel] = WithTimeout(Background(), absl::Seconds(60));
  Item first(ctx), second(ctx), third(ctx);
  for (Item* item : {&first, &second, &third}) {
    item->order = &order;
    ASSERT_EQ(pool.Submit(item, Criticality::kCritical), WorkerPool::Admission::kQueued);
  }
  busy.Release();
  for (Item* item : {&first, &second, &third}) item->finished.WaitForNotification();
  EXPECT_EQ(order, (std::vector<const Item*>{&first, &second, &third}));
}

// Queues `item` behind a pool's occupied worker and lets it wait there for `wait`.
void QueueAndWait(WorkerPool& pool, Item& item, absl::Duration wait) {
  ASSERT_EQ(pool.Submit(&item, Criticality::kCritical), WorkerPool::Admission::kQueued);
  absl::SleepFor(wait);
}

TEST(WorkerPool, OnceTheOldestHasWaitedHalfItsBudgetItIsRefusedNotRun) {
  WorkerPool pool(OneWorker(8, 8));
  OccupiedWorker busy(pool);
  std::vector<const Item*> order;
  auto [ctx, cancel] = WithTimeout(Background(), absl::Seconds(60));
  auto [oldest_ctx, cancel_oldest] = WithTimeout(Background(), absl::Milliseconds(400));
  Item oldest(oldest_ctx), middle(ctx), newest(ctx);
  for (Item* item : {&oldest, &middle, &newest}) {
    item->order = &order;
    ASSERT_EQ(pool.Submit(item, Criticality::kCritical), WorkerPool::Admission::kQueued);
  }
  absl::SleepFor(absl::Milliseconds(250));  // The oldest has now used over half its 400ms.
  busy.Release();
  for (Item* item : {&oldest, &middle, &newest}) item->finished.WaitForNotification();
  // Refused while its Context is still live, so that its caller hears now; the rest in
  // arrival order.
  EXPECT_FALSE(oldest.ran);
  EXPECT_EQ(oldest.dropped.code(), absl::StatusCode::kResourceExhausted) << oldest.dropped;
  EXPECT_THAT(std::string(oldest.dropped.message()),
              ::testing::HasSubstr("in a queue that has fallen behind"));
  EXPECT_EQ(DropReason(oldest.dropped), std::string("late_in_queue"));
  EXPECT_EQ(order, (std::vector<const Item*>{&middle, &newest}));
  EXPECT_EQ(pool.late_in_queue(), 1u);
  EXPECT_EQ(pool.expired_in_queue(), 0u);
}

TEST(WorkerPool, ArrivalWithLessThanTwiceTheOldestsWaitIsRefused) {
  WorkerPool pool(OneWorker(8, 8));
  OccupiedWorker busy(pool);
  auto [long_ctx, cancel_long] = WithTimeout(Background(), absl::Seconds(60));
  Item waiting(long_ctx);
  QueueAndWait(pool, waiting, absl::Milliseconds(100));  // The oldest has waited 100ms.
  // 150ms left: it would wait about 100ms of it, over half.
  auto [short_ctx, cancel_short] = WithTimeout(Background(), absl::Milliseconds(150));
  Item hurried(short_ctx);
  EXPECT_EQ(pool.Submit(&hurried, Criticality::kCritical), WorkerPool::Admission::kBehind);
  // With a budget to match the wait, or none, it is queued.
  auto [ample_ctx, cancel_ample] = WithTimeout(Background(), absl::Seconds(10));
  Item ample(ample_ctx), unbounded(Background());
  EXPECT_EQ(pool.Submit(&ample, Criticality::kCritical), WorkerPool::Admission::kQueued);
  EXPECT_EQ(pool.Submit(&unbounded, Criticality::kCritical), WorkerPool::Admission::kQueued);
  busy.Release();
  for (Item* item : {&waiting, &ample, &unbounded}) item->finished.WaitForNotification();
  EXPECT_TRUE(waiting.ran && ample.ran && unbounded.ran);
  EXPECT_FALSE(hurried.ran);
}

// Teaches a one-worker pool its pace from a backlog: one start every ~30ms.
void LearnPaceOf30ms(WorkerPool& pool) {
  std::vector<std::unique_ptr<Item>> slow;
  for (int i = 0; i < 5; ++i) {
    slow.push_back(std::make_unique<Item>(Background()));
    slow.back()->busy_for = absl::Milliseconds(30);
    ASSERT_EQ(pool.Submit(slow.back().get(), Criticality::kCritical),
              WorkerPool::Admission::kQueued);
  }
  for (auto& item : slow) item->finished.WaitForNotification();
}

// With the pool's worker occupied and four items queued ahead (they wait nearly nothing
// before it arrives), what Submit says to an item with `budget` left.
WorkerPool::Admission ArrivalBehindFour(WorkerPool& pool, absl::Duration budget) {
  OccupiedWorker busy(pool);
  auto [long_ctx, cancel_long] = WithTimeout(Background(), absl::Seconds(60));
  Item a(long_ctx), b(long_ctx), c(long_ctx), d(long_ctx);
  for (Item* item : {&a, &b, &c, &d}) {
    EXPECT_EQ(pool.Submit(item, Criticality::kCritical), WorkerPool::Admission::kQueued);
  }
  auto [ctx, cancel] = WithTimeout(Background(), budget);
  Item arriving(ctx);
  const WorkerPool::Admission admission = pool.Submit(&arriving, Criticality::kCritical);
  busy.Release();
  for (Item* item : {&a, &b, &c, &d}) item->finished.WaitForNotification();
  if (admission == WorkerPool::Admission::kQueued) {
    arriving.finished.WaitForNotification();
    EXPECT_TRUE(arriving.ran) << arriving.dropped;
  }
  return admission;
}

TEST(WorkerPool, ArrivalBehindMoreWorkThanHalfItsBudgetIsRefusedBeforeAnyoneWaited) {
  WorkerPool pool(OneWorker(16, 16));
  LearnPaceOf30ms(pool);
  // Four ahead at ~30ms each: ~120ms, over half of 200ms.
  EXPECT_EQ(ArrivalBehindFour(pool, absl::Milliseconds(200)), WorkerPool::Admission::kBehind);
  // Well under half of 10s.
  EXPECT_EQ(ArrivalBehindFour(pool, absl::Seconds(10)), WorkerPool::Admission::kQueued);
}

TEST(WorkerPool, OneSlowItemMovesThePaceByAtMostThreeEighths) {
  WorkerPool pool(OneWorker(16, 16));
  LearnPaceOf30ms(pool);
  {
    // A 300ms item, with one queued behind it: one gap of ~300ms in a backlog.
    OccupiedWorker busy(pool);
    Item slow(Background()), next(Background());
    slow.busy_for = absl::Milliseconds(300);
    ASSERT_EQ(pool.Submit(&slow, Criticality::kCritical), WorkerPool::Admission::kQueued);
    ASSERT_EQ(pool.Submit(&next, Criticality::kCritical), WorkerPool::Admission::kQueued);
    busy.Release();
    next.finished.WaitForNotification();
  }
  // Counted as at most 4 x 30ms, the pace is ~41ms: four ahead, ~165ms, under half of
  // 400ms. Counted whole (~64ms, ~255ms ahead) it would refuse.
  EXPECT_EQ(ArrivalBehindFour(pool, absl::Milliseconds(400)), WorkerPool::Admission::kQueued);
}

TEST(WorkerPool, APaceNotSeenForASecondIsForgotten) {
  WorkerPool pool(OneWorker(16, 16));
  LearnPaceOf30ms(pool);
  absl::SleepFor(absl::Milliseconds(1100));
  EXPECT_EQ(ArrivalBehindFour(pool, absl::Milliseconds(200)), WorkerPool::Admission::kQueued);
}

TEST(WorkerPool, ALoneItemRunsHoweverLongItWaited) {
  WorkerPool pool(OneWorker(8, 8));
  OccupiedWorker busy(pool);
  auto [short_ctx, cancel] = WithTimeout(Background(), absl::Milliseconds(400));
  Item alone(short_ctx);
  QueueAndWait(pool, alone, absl::Milliseconds(250));
  busy.Release();
  alone.finished.WaitForNotification();
  // Nothing waited behind it: the queue kept up, and it still had time.
  EXPECT_TRUE(alone.ran) << alone.dropped;
  EXPECT_EQ(pool.late_in_queue(), 0u);
}

TEST(WorkerPool, ExpiredItemsDoNotFillTheQueueForLiveOnes) {
  WorkerPool pool(OneWorker(/*bound=*/2, /*shed=*/2));
  OccupiedWorker busy(pool);
  auto [short_deadline, cancel_deadline] = WithTimeout(Background(), absl::Milliseconds(5));
  Item first(short_deadline), second(short_deadline);
  ASSERT_EQ(pool.Submit(&first, Criticality::kCritical), WorkerPool::Admission::kQueued);
  ASSERT_EQ(pool.Submit(&second, Criticality::kCritical), WorkerPool::Admission::kQueued);
  ASSERT_TRUE(short_deadline.WaitFor(absl::Seconds(10)));

  Item fresh(Background());
  EXPECT_EQ(pool.Submit(&fresh, Criticality::kCritical), WorkerPool::Admission::kQueued);
  EXPECT_EQ(first.dropped.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(second.dropped.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(pool.expired_in_queue(), 2u);
  busy.Release();
  fresh.finished.WaitForNotification();
  EXPECT_TRUE(fresh.ran);
}

TEST(WorkerPool, DestructionDropsWhatIsQueued) {
  absl::Notification release;
  Item busy(Background(), &release);
  Item queued(Background());
  std::thread releaser;
  {
    WorkerPool pool(OneWorker(8, 8));
    ASSERT_EQ(pool.Submit(&busy, Criticality::kCritical), WorkerPool::Admission::kQueued);
    busy.started.WaitForNotification();
    ASSERT_EQ(pool.Submit(&queued, Criticality::kCritical),
              WorkerPool::Admission::kQueued);
    releaser = std::thread([&] {
      absl::SleepFor(absl::Milliseconds(20));
      release.Notify();
    });
  }  // Drops `queued`, then waits for `busy`, which the releaser lets finish.
  releaser.join();
  EXPECT_TRUE(busy.ran);
  EXPECT_FALSE(queued.ran);
  EXPECT_EQ(queued.dropped.code(), absl::StatusCode::kUnavailable);
}

TEST(WorkerPool, ContinuedWorkRunsAheadOfTheQueueOnAWorker) {
  WorkerPool pool(OneWorker(8, 8));
  std::vector<const Item*> order;
  Item first(Background()), second(Background()), continued(Background());
  first.order = second.order = continued.order = &order;
  {
    OccupiedWorker occupied(pool);
    ASSERT_EQ(pool.Submit(&first, Criticality::kCritical), WorkerPool::Admission::kQueued);
    ASSERT_EQ(pool.Submit(&second, Criticality::kCritical), WorkerPool::Admission::kQueued);
    pool.Continue(&continued);
  }
  second.finished.WaitForNotification();
  EXPECT_THAT(order, ::testing::ElementsAre(&continued, &first, &second));
  EXPECT_FALSE(WorkerPool::OnWorkerThread());
  bool on_worker = false;
  class Probe final : public QueuedWork {
   public:
    explicit Probe(bool* on_worker) : on_worker_(on_worker) {}
    const Context& context() const override { return ctx_; }
    void Run() override {
      *on_worker_ = WorkerPool::OnWorkerThread();
      done.Notify();
    }
    void Drop(absl::Status) override { done.Notify(); }
    absl::Notification done;

   private:
    Context ctx_;
    bool* on_worker_;
  } probe(&on_worker);
  pool.Continue(&probe);
  probe.done.WaitForNotification();
  EXPECT_TRUE(on_worker);
}

TEST(WorkerPool, ContinuedWorkRunsEvenWhenItsContextIsDoneAndIsDroppedOnlyOnStop) {
  auto [ctx, cancel] = WithCancel(Background());
  cancel.Cancel();
  {
    WorkerPool pool(OneWorker(8, 8));
    Item done_but_answering(ctx);
    pool.Continue(&done_but_answering);
    done_but_answering.finished.WaitForNotification();
    EXPECT_TRUE(done_but_answering.ran);
  }
  WorkerPool pool(OneWorker(8, 8));
  Item waiting(Background());
  {
    OccupiedWorker occupied(pool);
    pool.Continue(&waiting);
    // Stop drops the continuation that never reached the busy worker; the running
    // item finishes first.
    std::thread stopper([&pool] { pool.Stop(); });
    waiting.finished.WaitForNotification();
    occupied.Release();
    stopper.join();
  }
  EXPECT_FALSE(waiting.ran);
  EXPECT_EQ(waiting.dropped.code(), absl::StatusCode::kUnavailable);
  Item late(Background());
  pool.Continue(&late);  // After Stop: dropped at once.
  EXPECT_EQ(late.dropped.code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace baton::rpc
