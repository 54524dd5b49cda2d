#include "common/rpc/worker_pool.h"

#include <utility>

namespace baton::rpc {

WorkerPool::WorkerPool(Options options) : options_(options) {
  const int threads = options_.threads > 0 ? options_.threads : 1;
  workers_.reserve(threads);
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

WorkerPool::~WorkerPool() {
  std::deque<QueuedWork*> left;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    left.swap(queue_);
  }
  for (QueuedWork* work : left) work->Drop(absl::UnavailableError("server shutting down"));
  for (std::thread& worker : workers_) worker.join();
}

WorkerPool::Admission WorkerPool::Submit(QueuedWork* work, Criticality criticality) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      if (queue_.size() >= options_.queue_bound) return Admission::kQueueFull;
      if (queue_.size() >= options_.shed_threshold && criticality < Criticality::kCritical) {
        return Admission::kShed;
      }
      queue_.push_back(work);
      return Admission::kQueued;
    }
  }
  work->Drop(absl::UnavailableError("server shutting down"));
  return Admission::kQueued;
}

size_t WorkerPool::queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void WorkerPool::Work() {
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
      work = queue_.front();
      queue_.pop_front();
    }
    const Context& ctx = work->context();
    if (ctx.IsDone()) {
      expired_in_queue_.fetch_add(1, std::memory_order_relaxed);
      work->Drop(Cause(ctx));
      continue;
    }
    work->Run();
  }
}

}  // namespace baton::rpc
