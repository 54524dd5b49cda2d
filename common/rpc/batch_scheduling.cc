#include "common/rpc/batch_scheduling.h"

#include <sched.h>

namespace baton::rpc {

bool ScheduleThisThreadAsBatch() {
  const sched_param param{.sched_priority = 0};
  // On Linux, pid 0 is the calling thread, not the whole process.
  return sched_setscheduler(0, SCHED_BATCH, &param) == 0;
}

}  // namespace baton::rpc
