// RealClock: absl::Now() plus one thread that fires every deadline of the process.
//
// The thread sleeps until the earliest scheduled time. Scheduling a later time than
// the one it sleeps toward does not wake it, and unscheduling never does: after a
// cancelled deadline it wakes once, finds nothing due and sleeps again. So creating and
// cancelling deadline Contexts costs a heap insert and removal under one lock, with no
// system call in the common case. (std::mutex for the reason given in cancel_node.h.)
#ifndef BATON_COMMON_CONTEXT_INTERNAL_REAL_CLOCK_H_
#define BATON_COMMON_CONTEXT_INTERNAL_REAL_CLOCK_H_

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/time/clock.h"
#include "common/context/clock.h"
#include "common/context/internal/timer_queue.h"

namespace baton::context_internal {

class RealClock final : public Clock {
 public:
  RealClock() = default;
  ~RealClock() override;  // Stops and joins the timer thread.

  absl::Time Now() const override { return absl::Now(); }
  void Schedule(Timer* timer, absl::Time when) override;
  void Unschedule(Timer* timer) override;

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable wake_up_;
  // All guarded by mu_.
  TimerQueue queue_;
  // The time the thread will next wake at; a Schedule() earlier than this wakes it.
  absl::Time sleeping_until_ = absl::InfiniteFuture();
  bool wake_ = false;
  bool stop_ = false;
  bool started_ = false;
  std::thread thread_;
};

}  // namespace baton::context_internal

#endif  // BATON_COMMON_CONTEXT_INTERNAL_REAL_CLOCK_H_
