// Timer: the one thing a Clock needs from a deadline Context.
//
// Internal to common/context. A Timer lives inside the object that owns it; the owner
// must Unschedule it before destruction. TryRetain() lets a clock hold the owner alive
// while firing, so a timer never fires into an object being destroyed.
#ifndef BATON_COMMON_CONTEXT_INTERNAL_TIMER_H_
#define BATON_COMMON_CONTEXT_INTERNAL_TIMER_H_

#include <cstddef>

#include "absl/time/time.h"

namespace baton::context_internal {

class Timer {
 public:
  Timer() = default;
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Takes a reference to the timer's owner; false if the owner is being destroyed.
  // Called with the clock's lock held: must not block or take locks.
  virtual bool TryRetain() = 0;
  // Drops the reference TryRetain() took (may destroy the owner).
  virtual void Release() = 0;

  // Called once when the time comes, between TryRetain() and Release(), with no clock
  // lock held.
  virtual void Fire() = 0;

 protected:
  ~Timer() = default;

 private:
  friend class TimerQueue;
  absl::Time when_ = absl::InfiniteFuture();
  // Position in the owning TimerQueue's heap; kNotQueued when not scheduled.
  static constexpr size_t kNotQueued = ~size_t{0};
  size_t heap_index_ = kNotQueued;
};

}  // namespace baton::context_internal

#endif  // BATON_COMMON_CONTEXT_INTERNAL_TIMER_H_
