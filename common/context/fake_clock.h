// FakeClock: a Clock whose time moves only when a test moves it.
//
//   FakeClock clock;                                   // starts at a fixed instant
//   Context root = Background(clock);
//   auto [ctx, cancel] = WithTimeout(root, absl::Milliseconds(50));
//   clock.Advance(absl::Milliseconds(49));             // ctx.Err() is still OK
//   clock.Advance(absl::Milliseconds(1));              // ctx.Err() is DEADLINE_EXCEEDED
//
// Timers that come due fire synchronously inside Advance()/SetTime(), on the calling
// thread, in deadline order, each with no clock lock held. When Advance() returns,
// every Context whose deadline is at or before the new time is done.
//
// Thread safety: all methods may be called from any thread. Lifetime: must outlive
// every Context rooted in it.
#ifndef BATON_COMMON_CONTEXT_FAKE_CLOCK_H_
#define BATON_COMMON_CONTEXT_FAKE_CLOCK_H_

#include <cstddef>
#include <mutex>

#include "absl/time/time.h"
#include "common/context/clock.h"
#include "common/context/internal/timer_queue.h"

namespace baton {

class FakeClock final : public Clock {
 public:
  // Starts at 2030-01-01T00:00:00Z, an arbitrary but fixed instant.
  FakeClock();
  explicit FakeClock(absl::Time start);

  absl::Time Now() const override;
  void Schedule(context_internal::Timer* timer, absl::Time when) override;
  void Unschedule(context_internal::Timer* timer) override;

  // Moves time forward by `delta` (negative deltas are ignored) and fires what is due.
  void Advance(absl::Duration delta);
  // Moves time to `time` if it is later than now, and fires what is due.
  void SetTime(absl::Time time);

  // How many timers are waiting; lets tests check that cancelled deadlines unschedule.
  size_t PendingTimers() const;

 private:
  mutable std::mutex mu_;
  absl::Time now_;                     // Guarded by mu_.
  context_internal::TimerQueue queue_;  // Guarded by mu_.
};

}  // namespace baton

#endif  // BATON_COMMON_CONTEXT_FAKE_CLOCK_H_
