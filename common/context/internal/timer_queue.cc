#include "common/context/internal/timer_queue.h"

#include <utility>

namespace baton::context_internal {

void TimerQueue::Place(size_t index, Timer* timer) {
  heap_[index] = timer;
  timer->heap_index_ = index;
}

void TimerQueue::SiftUp(size_t index) {
  Timer* moving = heap_[index];
  while (index > 0) {
    size_t parent = (index - 1) / 2;
    if (heap_[parent]->when_ <= moving->when_) break;
    Place(index, heap_[parent]);
    index = parent;
  }
  Place(index, moving);
}

void TimerQueue::SiftDown(size_t index) {
  Timer* moving = heap_[index];
  const size_t n = heap_.size();
  for (;;) {
    size_t child = 2 * index + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1]->when_ < heap_[child]->when_) ++child;
    if (moving->when_ <= heap_[child]->when_) break;
    Place(index, heap_[child]);
    index = child;
  }
  Place(index, moving);
}

void TimerQueue::Push(Timer* timer, absl::Time when) {
  timer->when_ = when;
  heap_.push_back(timer);
  SiftUp(heap_.size() - 1);
}

bool TimerQueue::Remove(Timer* timer) {
  const size_t index = timer->heap_index_;
  if (index == Timer::kNotQueued) return false;
  timer->heap_index_ = Timer::kNotQueued;
  Timer* last = heap_.back();
  heap_.pop_back();
  if (last != timer) {
    Place(index, last);
    // The moved timer may belong above or below its new place.
    if (index > 0 && heap_[(index - 1) / 2]->when_ > last->when_) {
      SiftUp(index);
    } else {
      SiftDown(index);
    }
  }
  return true;
}

Timer* TimerQueue::PopDue(absl::Time now) {
  if (heap_.empty() || heap_.front()->when_ > now) return nullptr;
  Timer* due = heap_.front();
  Remove(due);
  return due;
}

void TimerQueue::FireDue(absl::Time now, std::unique_lock<std::mutex>& held) {
  while (Timer* due = PopDue(now)) {
    if (!due->TryRetain()) continue;  // Being destroyed; nothing left to fire into.
    held.unlock();
    due->Fire();
    due->Release();  // May destroy the owner, which unschedules under `held`.
    held.lock();
  }
}

absl::Time TimerQueue::Earliest() const {
  return heap_.empty() ? absl::InfiniteFuture() : heap_.front()->when_;
}

}  // namespace baton::context_internal
