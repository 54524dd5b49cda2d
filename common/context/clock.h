// Clock: where a Context tree reads the time and schedules its deadlines.
//
// Every Context tree is rooted in a Clock (Background() uses Clock::Real()). A deadline
// Context registers one timer with its tree's clock; the clock fires it when the time
// comes, and the Context then cancels itself with DEADLINE_EXCEEDED.
//
// Clock::Real() keeps all timers of the process in one queue served by one thread — not
// a thread or OS timer per Context. FakeClock (fake_clock.h) fires its timers only when
// a test advances it, on the advancing thread, so deadline tests never sleep.
//
// Thread safety: all methods are safe to call from any thread.
// Lifetime: a Clock must outlive every Context rooted in it. Clock::Real() lives for
// the whole process.
#ifndef BATON_COMMON_CONTEXT_CLOCK_H_
#define BATON_COMMON_CONTEXT_CLOCK_H_

#include "absl/time/time.h"
#include "common/context/internal/timer.h"

namespace baton {

class Clock {
 public:
  virtual ~Clock() = default;

  // The current time on this clock.
  virtual absl::Time Now() const = 0;

  // Arranges for timer->Fire() to be called once, at or soon after `when`, on a thread
  // that holds no lock of the clock's. The timer must not already be scheduled.
  // Implementations call timer->Retain() first and skip a timer whose owner is being
  // destroyed.
  virtual void Schedule(context_internal::Timer* timer, absl::Time when) = 0;

  // Removes a scheduled timer; a no-op for one that already fired or was never
  // scheduled. After it returns the clock no longer refers to `timer`.
  virtual void Unschedule(context_internal::Timer* timer) = 0;

  // The process-wide wall clock (absl::Now()), whose timers run on one thread started
  // on first use. A documented process-wide registry: it is never destroyed, so Contexts
  // used during static destruction stay valid.
  static Clock& Real();
};

}  // namespace baton

#endif  // BATON_COMMON_CONTEXT_CLOCK_H_
