#include "common/rpc/batch_scheduling.h"

#include <sched.h>

#include <thread>

#include "gtest/gtest.h"

namespace baton::rpc {
namespace {

TEST(BatchScheduling, AppliesToTheCallingThreadAndWhatItStarts) {
  int own = -1;
  int started = -1;
  std::thread thread([&] {
    ASSERT_TRUE(ScheduleThisThreadAsBatch());
    own = sched_getscheduler(0);
    std::thread child([&] { started = sched_getscheduler(0); });
    child.join();
  });
  thread.join();
  EXPECT_EQ(own, SCHED_BATCH);
  EXPECT_EQ(started, SCHED_BATCH);
  // Not the rest of the process.
  EXPECT_EQ(sched_getscheduler(0), SCHED_OTHER);
}

}  // namespace
}  // namespace baton::rpc
