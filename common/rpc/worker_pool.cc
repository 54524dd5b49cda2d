#include "common/rpc/worker_pool.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/context/thread_scheduling.h"

namespace baton::rpc {
namespace {

// The pool's one rule for "late": `wait` is over half the budget from `start` to
// `deadline`. Never true without a deadline.
bool OverHalfOfBudget(absl::Duration wait, absl::Time start, absl::Time deadline) {
  return deadline != absl::InfiniteFuture() && wait > (deadline - start) / 2;
}

// How long a measured pace is trusted without a new backlog to confirm it: handler
// costs change (a slow downstream recovers) while the queue is empty.
constexpr absl::Duration kPaceMemory = absl::Seconds(1);

thread_local bool on_worker_thread = false;

}  // namespace

bool WorkerPool::OnWorkerThread() { return on_worker_thread; }

bool WorkerPool::TryRunHere() {
  // Without the lock: workers wait on it with conditions, and every release of it
  // evaluates them — a price every call run here would pay twice. Whether something
  // waits is read without it too: the check only keeps arrivals from passing the queue.
  if (stopping_now_.load(std::memory_order_acquire) || waiting_.load() > 0) return false;
  if (!ClaimPlace()) return false;
  on_worker_thread = true;
  return true;
}

void WorkerPool::DoneRunningHere() {
  on_worker_thread = false;
  busy_.fetch_sub(1);
  // A worker may wait for a place for a queued item; it looks again when the lock is
  // released. Submit stores waiting_ and then, releasing the lock, has the workers'
  // condition read busy_; this thread writes busy_ and then reads waiting_. Both in
  // sequentially consistent order, so at least one of the two sees the other's write.
  if (waiting_.load() > 0) {
    absl::MutexLock lock(&mu_);
  }
}

bool WorkerPool::ClaimPlace() {
  size_t busy = busy_.load();
  do {
    if (busy >= Threads()) return false;
  } while (!busy_.compare_exchange_weak(busy, busy + 1));
  return true;
}

WorkerPool::WorkerPool(Options options) : options_(options) {
  workers_.reserve(Threads());
  for (size_t i = 0; i < Threads(); ++i) {
    workers_.emplace_back([this] {
      if (options_.batch_scheduling) ScheduleThisThreadAsBatch();
      Work();
    });
  }
}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Stop() {
  std::deque<Waiting> left;
  std::deque<QueuedWork*> unfinished;
  std::vector<std::thread> workers;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    stopping_now_.store(true, std::memory_order_release);
    left.swap(queue_);
    waiting_.store(0);
    unfinished.swap(continuations_);
    workers.swap(workers_);
  }
  for (const Waiting& waiting : left) unfinished.push_back(waiting.work);
  for (QueuedWork* work : unfinished) work->Drop(absl::UnavailableError("server shutting down"));
  for (std::thread& worker : workers) worker.join();
}

WorkerPool::Admission WorkerPool::Submit(QueuedWork* work, Criticality criticality) {
  std::vector<QueuedWork*> expired;
  std::vector<Waiting> late;
  Admission admission = Admission::kQueued;
  bool stopping = false;
  const absl::Time now = absl::Now();  // Outside the lock: it only orders the queue.
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
    if (!stopping) {
      if (queue_.size() >= options_.shed_threshold) TakeHeadLocked(now, expired, late);
      if (queue_.size() >= options_.queue_bound) {
        admission = Admission::kQueueFull;
      } else if (queue_.size() >= options_.shed_threshold &&
                 criticality < Criticality::kCritical) {
        admission = Admission::kShed;
      } else if (WouldWaitTooLongLocked(*work, now)) {
        admission = Admission::kBehind;
      } else {
        queue_.push_back(Waiting{work, now});
      }
      waiting_.store(queue_.size());
    }
  }
  for (QueuedWork* done : expired) DropExpired(done);
  for (const Waiting& waiting : late) DropLate(waiting, now);
  if (stopping) work->Drop(absl::UnavailableError("server shutting down"));
  return admission;
}

void WorkerPool::Continue(QueuedWork* work) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      continuations_.push_back(work);
      return;
    }
  }
  work->Drop(absl::UnavailableError("server shutting down"));
}

void WorkerPool::TakeHeadLocked(absl::Time now, std::vector<QueuedWork*>& expired,
                                std::vector<Waiting>& late) {
  // The head holds the oldest items, the likeliest to be done or late; a live, timely
  // one stops the scan, so this costs one check when nothing is.
  while (!queue_.empty()) {
    const Waiting& head = queue_.front();
    if (head.work->context().IsDone()) {
      expired.push_back(head.work);
    } else if (queue_.size() >= 2 && WaitedTooLong(head, now)) {
      late.push_back(head);
    } else {
      return;
    }
    queue_.pop_front();
  }
}

bool WorkerPool::WaitedTooLong(const Waiting& waiting, absl::Time now) {
  return OverHalfOfBudget(now - waiting.queued_at, waiting.queued_at,
                          waiting.work->context().Deadline());
}

bool WorkerPool::WouldWaitTooLongLocked(const QueuedWork& work, absl::Time now) const {
  if (queue_.empty()) return false;
  const absl::Duration waited_by_oldest = now - queue_.front().queued_at;
  const absl::Duration at_recent_pace =
      PaceIsRecentLocked(now) ? start_interval_ * static_cast<int64_t>(queue_.size())
                              : absl::ZeroDuration();
  return OverHalfOfBudget(std::max(waited_by_oldest, at_recent_pace), now,
                          work.context().Deadline());
}

bool WorkerPool::PaceIsRecentLocked(absl::Time now) const {
  return now - last_paced_ <= kPaceMemory;
}

QueuedWork* WorkerPool::StartHeadLocked(absl::Time now) {
  const Waiting head = queue_.front();
  queue_.pop_front();
  // Queued before the previous start: the queue was backlogged in between, so the gap
  // measures how fast the pool takes work, not how fast work arrived. A short memory
  // (1/8 weight) follows changes in handler cost within tens of starts; one gap counts
  // for at most 4x the pace (or 1ms, so that a pace near zero can still grow), so a
  // single slow handler moves it by at most 3/8 rather than refusing arrivals for the
  // next tens of starts. A pace older than kPaceMemory is forgotten, and the first gap
  // of a new backlog seeds it again.
  if (head.queued_at < last_start_) {
    const absl::Duration gap = now - last_start_;
    if (PaceIsRecentLocked(now)) {
      const absl::Duration cap = std::max(4 * start_interval_, absl::Milliseconds(1));
      start_interval_ += (std::min(gap, cap) - start_interval_) / 8;
    } else {
      start_interval_ = gap;
    }
    last_paced_ = now;
  }
  last_start_ = now;
  return head.work;
}

void WorkerPool::DropExpired(QueuedWork* work) {
  expired_in_queue_.fetch_add(1, std::memory_order_relaxed);
  work->Drop(Cause(work->context()));
}

void WorkerPool::DropLate(const Waiting& waiting, absl::Time now) {
  late_in_queue_.fetch_add(1, std::memory_order_relaxed);
  const absl::Duration budget = waiting.work->context().Deadline() - waiting.queued_at;
  waiting.work->Drop(absl::ResourceExhaustedError(absl::StrFormat(
      "overloaded: waited %dms of the %dms it had left, in a queue that has fallen behind; "
      "not run",
      absl::ToInt64Milliseconds(now - waiting.queued_at), absl::ToInt64Milliseconds(budget))));
}

size_t WorkerPool::queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void WorkerPool::Work() {
  on_worker_thread = true;
  std::vector<QueuedWork*> expired;
  std::vector<Waiting> late;
  for (;;) {
    QueuedWork* work = nullptr;
    bool continuation = false;
    absl::Time now;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](WorkerPool* pool) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return pool->stopping_ || !pool->continuations_.empty() ||
                   (!pool->queue_.empty() && pool->busy_.load() < pool->Threads());
          },
          this));
      if (!continuations_.empty()) {
        work = continuations_.front();
        continuations_.pop_front();
        continuation = true;
        busy_.fetch_add(1);  // Exempt from the bound.
      } else {
        if (queue_.empty()) return;  // Stopping.
        // A thread running an item here may have taken the last place since the
        // condition held: then wait for the next release.
        if (!ClaimPlace()) continue;
        now = absl::Now();
        TakeHeadLocked(now, expired, late);
        if (!queue_.empty()) {
          work = StartHeadLocked(now);
        } else {
          busy_.fetch_sub(1);
        }
        waiting_.store(queue_.size());
      }
    }
    if (!continuation) {
      for (QueuedWork* done : expired) DropExpired(done);
      for (const Waiting& waiting : late) DropLate(waiting, now);
      expired.clear();
      late.clear();
      if (work == nullptr) continue;
      // The head's Context may have ended since the check, or by a cancel.
      if (work->context().IsDone()) {
        DropExpired(work);
        work = nullptr;
      }
    }
    if (work != nullptr) work->Run();
    // Released under the lock, so that a worker waiting for a place looks again.
    absl::MutexLock lock(&mu_);
    busy_.fetch_sub(1);
  }
}

}  // namespace baton::rpc
