#include "common/rpc/worker_pool.h"

#include <utility>

#include "absl/time/clock.h"

namespace baton::rpc {

WorkerPool::WorkerPool(Options options) : options_(options) {
  const int threads = options_.threads > 0 ? options_.threads : 1;
  workers_.reserve(threads);
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

WorkerPool::~WorkerPool() {
  std::deque<Waiting> left;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    left.swap(queue_);
  }
  for (const Waiting& waiting : left) {
    waiting.work->Drop(absl::UnavailableError("server shutting down"));
  }
  for (std::thread& worker : workers_) worker.join();
}

WorkerPool::Admission WorkerPool::Submit(QueuedWork* work, Criticality criticality) {
  std::vector<QueuedWork*> expired;
  Admission admission = Admission::kQueued;
  bool stopping = false;
  const absl::Time now = absl::Now();  // Outside the lock: it only orders the queue.
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
    if (!stopping) {
      if (queue_.size() >= options_.shed_threshold) TakeExpiredLocked(expired);
      if (queue_.size() >= options_.queue_bound) {
        admission = Admission::kQueueFull;
      } else if (queue_.size() >= options_.shed_threshold &&
                 criticality < Criticality::kCritical) {
        admission = Admission::kShed;
      } else {
        queue_.push_back(Waiting{work, now});
      }
    }
  }
  for (QueuedWork* done : expired) DropExpired(done);
  if (stopping) work->Drop(absl::UnavailableError("server shutting down"));
  return admission;
}

void WorkerPool::TakeExpiredLocked(std::vector<QueuedWork*>& out) {
  // The head holds the oldest items, the likeliest to be done; a live one stops the
  // scan, so this costs one check when nothing expired.
  while (!queue_.empty() && queue_.front().work->context().IsDone()) {
    out.push_back(queue_.front().work);
    queue_.pop_front();
  }
}

bool WorkerPool::BehindLocked(absl::Time now) const {
  if (queue_.size() < 2) return false;
  const Waiting& oldest = queue_.front();
  const absl::Time deadline = oldest.work->context().Deadline();
  if (deadline == absl::InfiniteFuture()) return false;
  return now - oldest.queued_at > (deadline - oldest.queued_at) / 2;
}

void WorkerPool::DropExpired(QueuedWork* work) {
  expired_in_queue_.fetch_add(1, std::memory_order_relaxed);
  work->Drop(Cause(work->context()));
}

size_t WorkerPool::queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void WorkerPool::Work() {
  std::vector<QueuedWork*> expired;
  for (;;) {
    QueuedWork* work = nullptr;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](WorkerPool* pool) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return pool->stopping_ || !pool->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // Stopping.
      TakeExpiredLocked(expired);
      if (!queue_.empty()) {
        if (BehindLocked(absl::Now())) {
          work = queue_.back().work;
          queue_.pop_back();
        } else {
          work = queue_.front().work;
          queue_.pop_front();
        }
      }
    }
    for (QueuedWork* done : expired) DropExpired(done);
    expired.clear();
    if (work == nullptr) continue;
    // Not only the head expires: the newest may be cancelled too.
    if (work->context().IsDone()) {
      DropExpired(work);
      continue;
    }
    busy_.fetch_add(1, std::memory_order_relaxed);
    work->Run();
    busy_.fetch_sub(1, std::memory_order_relaxed);
  }
}

}  // namespace baton::rpc
