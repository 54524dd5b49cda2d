// TimerQueue: the pending timers of one Clock, earliest first.
//
// An indexed binary min-heap: Push, Remove and PopDue are O(log n) and allocate only
// when the heap's vector grows. Each Timer records its own position, so removing a
// cancelled deadline does not search.
//
// Not thread-safe: the owning Clock serializes access with its own lock.
#ifndef BATON_COMMON_CONTEXT_INTERNAL_TIMER_QUEUE_H_
#define BATON_COMMON_CONTEXT_INTERNAL_TIMER_QUEUE_H_

#include <cstddef>
#include <mutex>
#include <vector>

#include "absl/time/time.h"
#include "common/context/internal/timer.h"

namespace baton::context_internal {

class TimerQueue {
 public:
  // Queues `timer` to fire at `when`. The timer must not be queued already.
  void Push(Timer* timer, absl::Time when);

  // Takes `timer` out of the queue; returns false if it was not queued.
  bool Remove(Timer* timer);

  // Removes and returns the earliest timer due at `now`, or null when none is due.
  Timer* PopDue(absl::Time now);

  // The earliest queued time, or InfiniteFuture when empty.
  absl::Time Earliest() const;

  size_t size() const { return heap_.size(); }

  // Fires every timer due at `now`, earliest first. `held` is the owner's lock, held
  // on entry and on return, and released around each Fire() so that a timer's owner
  // may unschedule, schedule or be destroyed from inside it.
  void FireDue(absl::Time now, std::unique_lock<std::mutex>& held);

 private:
  void Place(size_t index, Timer* timer);
  void SiftUp(size_t index);
  void SiftDown(size_t index);

  std::vector<Timer*> heap_;
};

}  // namespace baton::context_internal

#endif  // BATON_COMMON_CONTEXT_INTERNAL_TIMER_QUEUE_H_
