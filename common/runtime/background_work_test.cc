#include "common/runtime/background_work.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace baton::runtime {
namespace {

TEST(BackgroundWork, RunsTasksOffTheCallersThread) {
  BackgroundWork work({.threads = 2, .queue_bound = 8});
  absl::Notification ran;
  std::thread::id where;
  work.Run([&] {
    where = std::this_thread::get_id();
    ran.Notify();
  });
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_NE(where, std::this_thread::get_id());
}

TEST(BackgroundWork, DrainFinishesWhatIsQueued) {
  BackgroundWork work({.threads = 1, .queue_bound = 100});
  std::atomic<int> done{0};
  for (int i = 0; i < 20; ++i) work.Run([&] { done.fetch_add(1); });
  EXPECT_EQ(work.Drain(absl::Now() + absl::Seconds(10)), 0u);
  EXPECT_EQ(done.load(), 20);
}

TEST(BackgroundWork, FullQueueRunsInlineAndNothingIsDropped) {
  BackgroundWork work({.threads = 1, .queue_bound = 1});
  absl::Notification release;
  std::atomic<int> done{0};
  work.Run([&] { release.WaitForNotification(); });  // Occupies the only thread.
  absl::SleepFor(absl::Milliseconds(20));
  work.Run([&] { done.fetch_add(1); });  // Queued.
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id where;
  work.Run([&] {
    where = std::this_thread::get_id();
    done.fetch_add(1);
  });  // Queue full: runs here.
  EXPECT_EQ(where, caller);
  release.Notify();
  EXPECT_EQ(work.Drain(absl::Now() + absl::Seconds(10)), 0u);
  EXPECT_EQ(done.load(), 2);
}

TEST(BackgroundWork, AfterDrainTasksRunInline) {
  BackgroundWork work({.threads = 1, .queue_bound = 4});
  work.Drain(absl::Now());
  bool ran = false;
  work.Run([&] { ran = true; });
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace baton::runtime
