#include "common/context/fake_clock.h"

namespace baton {

FakeClock::FakeClock() : FakeClock(absl::FromUnixSeconds(1893456000)) {}

FakeClock::FakeClock(absl::Time start) : now_(start) {}

absl::Time FakeClock::Now() const {
  std::lock_guard<std::mutex> lock(mu_);
  return now_;
}

void FakeClock::Schedule(context_internal::Timer* timer, absl::Time when) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.Push(timer, when);
}

void FakeClock::Unschedule(context_internal::Timer* timer) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.Remove(timer);
}

void FakeClock::Advance(absl::Duration delta) {
  if (delta <= absl::ZeroDuration()) return;
  SetTime(Now() + delta);
}

void FakeClock::SetTime(absl::Time time) {
  std::unique_lock<std::mutex> lock(mu_);
  if (time > now_) now_ = time;
  queue_.FireDue(now_, lock);
}

size_t FakeClock::PendingTimers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

}  // namespace baton
