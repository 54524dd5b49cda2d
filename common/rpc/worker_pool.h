// WorkerPool: the bounded pool that runs blocking handlers, with a deadline-aware queue.
//
// A submitted item waits in a queue for one of `threads` workers. The queue is
// bounded: beyond `queue_bound` waiting items, Submit refuses (the caller answers
// RESOURCE_EXHAUSTED). Beyond `shed_threshold`, items less critical than CRITICAL are
// refused first, so under overload sheddable traffic goes before critical traffic. An
// item whose Context is done by the time a worker reaches it — deadline passed or
// caller gone while it waited — is dropped, not run: Drop() is called with the
// Context's cause, and no handler time is spent on it. Expired items at the head of
// the queue are also dropped when a worker looks for work and before a Submit is
// refused for a full queue, so the dead never crowd out the living.
//
// Order: first in, first out — until the queue falls behind: once the oldest waiting
// item has spent more than half the budget it came with in the queue, the newest goes
// first (adaptive LIFO). In a FIFO backlog every item reaches a worker just before its
// deadline, so the pool works only for callers about to give up; newest-first serves
// callers that still have their budget, while the oldest expire in the queue and are
// dropped unrun. This is what keeps goodput near the peak under overload
// (docs/benchmarks.md). Items without a deadline never trigger it.
//
// Thread safety: Submit may be called from any thread. Items must stay valid until
// Run() or Drop() is called on them; exactly one of the two is called, once.
// Destruction drops every queued item with UNAVAILABLE and joins the workers.
#ifndef BATON_COMMON_RPC_WORKER_POOL_H_
#define BATON_COMMON_RPC_WORKER_POOL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/context/context.h"
#include "common/rpc/request_metadata.h"

namespace baton::rpc {

class QueuedWork {
 public:
  virtual ~QueuedWork() = default;
  virtual const Context& context() const = 0;
  // On a worker, when the item's Context is still live.
  virtual void Run() = 0;
  // Instead of Run(), when the Context finished while the item waited (or the pool
  // is shutting down).
  virtual void Drop(absl::Status why) = 0;
};

class WorkerPool {
 public:
  struct Options {
    int threads = 8;
    size_t queue_bound = 256;
    // Queue depth from which SHEDDABLE(_PLUS) items are refused.
    size_t shed_threshold = 192;
  };
  enum class Admission { kQueued, kQueueFull, kShed };

  explicit WorkerPool(Options options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  Admission Submit(QueuedWork* work, Criticality criticality);

  size_t queued() const;
  // Workers running an item now.
  size_t busy() const { return busy_.load(std::memory_order_relaxed); }
  // Items dropped because their Context was done when a worker reached them.
  uint64_t expired_in_queue() const { return expired_in_queue_.load(); }

 private:
  void Work();
  // Moves the items at the head of the queue whose Context is done into `out`.
  void TakeExpiredLocked(std::vector<QueuedWork*>& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drop() with the Context's cause, counted in expired_in_queue().
  void DropExpired(QueuedWork* work);

  struct Waiting {
    QueuedWork* work;
    absl::Time queued_at;
  };
  // Whether the queue has fallen behind its callers' budgets (see Order above).
  bool BehindLocked(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  std::deque<Waiting> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<uint64_t> expired_in_queue_{0};
  std::atomic<size_t> busy_{0};
  std::vector<std::thread> workers_;
};

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_WORKER_POOL_H_
