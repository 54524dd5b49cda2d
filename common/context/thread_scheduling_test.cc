#include "common/context/thread_scheduling.h"

#include <sched.h>

#include <thread>

#include "gtest/gtest.h"

namespace baton {
namespace {

TEST(ThreadScheduling, BatchAppliesToTheCallingThreadAndWhatItStarts) {
  if (!BatchSchedulingAllowed()) GTEST_SKIP() << "this machine refuses SCHED_BATCH";
  const int process_policy = sched_getscheduler(0);
  int own = -1;
  int started = -1;
  std::thread thread([&] {
    ScheduleThisThreadAsBatch();
    own = sched_getscheduler(0);
    std::thread child([&] { started = sched_getscheduler(0); });
    child.join();
  });
  thread.join();
  EXPECT_EQ(own, SCHED_BATCH);
  EXPECT_EQ(started, SCHED_BATCH);
  // Not the rest of the process.
  EXPECT_EQ(sched_getscheduler(0), process_policy);
}

TEST(ThreadScheduling, TheProbeLeavesTheCallerAlone) {
  const int before = sched_getscheduler(0);
  const bool allowed = BatchSchedulingAllowed();
  EXPECT_EQ(sched_getscheduler(0), before);
  bool took = false;
  std::thread([&took] { took = ScheduleThisThreadAsBatch(); }).join();
  EXPECT_EQ(allowed, took);
}

TEST(ThreadScheduling, AnInheritedBatchPolicyIsLeftForTheDefault) {
  if (!BatchSchedulingAllowed()) GTEST_SKIP() << "this machine refuses SCHED_BATCH";
  int left = -1;
  std::thread thread([&] {
    ScheduleThisThreadAsBatch();
    std::thread child([&] {
      LeaveInheritedBatchScheduling();
      left = sched_getscheduler(0);
    });
    child.join();
  });
  thread.join();
  EXPECT_EQ(left, SCHED_OTHER);
}

TEST(ThreadScheduling, APolicyThatIsNotBatchIsKept) {
  const int before = sched_getscheduler(0);
  int after = -1;
  std::thread thread([&] {
    LeaveInheritedBatchScheduling();
    after = sched_getscheduler(0);
  });
  thread.join();
  if (before == SCHED_BATCH) GTEST_SKIP() << "the test itself runs under SCHED_BATCH";
  EXPECT_EQ(after, before);
}

}  // namespace
}  // namespace baton
