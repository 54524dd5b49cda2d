#include "common/context/internal/real_clock.h"

#include <memory>
#include <utility>

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
    absl::MutexLock lock(&mu_);
    stop_ = true;
    wake_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void RealClock::Schedule(Timer* timer, absl::Time when) {
  absl::MutexLock lock(&mu_);
  queue_.Push(timer, when);
  if (!started_) {
    started_ = true;
    thread_ = std::thread([this] { Run(); });
  }
  if (when < sleeping_until_) {
    sleeping_until_ = when;
    wake_ = true;
  }
}

void RealClock::Unschedule(Timer* timer) {
  absl::MutexLock lock(&mu_);
  queue_.Remove(timer);
}

void RealClock::Run() {
  absl::MutexLock lock(&mu_);
  while (!stop_) {
    sleeping_until_ = queue_.Earliest();
    mu_.AwaitWithDeadline(absl::Condition(&wake_), sleeping_until_);
    wake_ = false;
    queue_.FireDue(absl::Now(), mu_);
  }
}

}  // namespace context_internal
}  // namespace baton
