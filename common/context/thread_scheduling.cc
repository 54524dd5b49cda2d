#include "common/context/thread_scheduling.h"

#include <sched.h>

#include <thread>

namespace baton {
namespace {

bool SetPolicy(int policy) {
  const sched_param param{.sched_priority = 0};
  return sched_setscheduler(0, policy, &param) == 0;
}

}  // namespace

bool ScheduleThisThreadAsBatch() { return SetPolicy(SCHED_BATCH); }

bool BatchSchedulingAllowed() {
  bool allowed = false;
  std::thread([&allowed] { allowed = ScheduleThisThreadAsBatch(); }).join();
  return allowed;
}

void LeaveInheritedBatchScheduling() {
  if (sched_getscheduler(0) == SCHED_BATCH) SetPolicy(SCHED_OTHER);
}

}  // namespace baton
