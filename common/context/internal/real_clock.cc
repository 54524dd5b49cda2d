#include "common/context/internal/real_clock.h"

#include <memory>
#include <utility>

#include "common/context/thread_scheduling.h"

namespace baton {

Clock& Clock::Real() {
  // Intentionally never destroyed: timers may be scheduled or fire during static
  // destruction of other objects.
  static Clock& clock = *std::make_unique<context_internal::RealClock>().release();
  return clock;
}

namespace context_internal {

RealClock::~RealClock() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_up_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void RealClock::Schedule(Timer* timer, absl::Time when) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.Push(timer, when);
    if (!started_) {
      started_ = true;
      thread_ = std::thread([this] { Run(); });
    }
    if (when < sleeping_until_) {
      sleeping_until_ = when;
      wake = wake_ = true;
    }
  }
  if (wake) wake_up_.notify_one();
}

void RealClock::Unschedule(Timer* timer) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.Remove(timer);
}

void RealClock::Run() {
  // Started by whichever thread first schedules a timer, often one under SCHED_BATCH;
  // a deadline must take a busy CPU at once (thread_scheduling.h).
  LeaveInheritedBatchScheduling();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    sleeping_until_ = queue_.Earliest();
    const auto woken = [this] { return wake_ || stop_; };
    if (sleeping_until_ == absl::InfiniteFuture()) {
      wake_up_.wait(lock, woken);
    } else {
      wake_up_.wait_until(lock, absl::ToChronoTime(sleeping_until_), woken);
    }
    wake_ = false;
    queue_.FireDue(absl::Now(), lock);
  }
}

}  // namespace context_internal
}  // namespace baton
