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
// Order: first in, first out. Once the queue falls behind — its oldest item has spent
// more than half the budget it came with waiting, and others wait behind it — the
// items at the head that have waited that long are refused, not run: Drop() with
// RESOURCE_EXHAUSTED, counted in late_in_queue(). In a FIFO backlog every item would
// reach a worker just before its deadline, so the pool would work only for callers
// about to give up, and the rest would hold their place until their deadline. Refused
// early, the late ones' callers hear at once (and can try elsewhere) instead of at
// their deadline, every item that runs still has half its budget for the work, and
// the queue stays within half a budget of work. This is what keeps goodput near the
// peak under overload (docs/benchmarks.md §8). A lone item runs however long it waited
// (the queue has kept up), and items without a deadline are never refused this way.
// For the same reason Submit refuses (kBehind) an item that would wait over half its
// budget: in a first-in-first-out queue it would be refused as late after waiting that
// long. Its wait is foreseen two ways, and the longer counts: what the oldest waiting
// item has waited so far, and the items ahead of it times the pool's recent pace (the
// average time between two starts while the queue was backlogged, which reflects the
// handlers' cost, their blocking and the CPU they get; forgotten after a second
// without a backlog). Refused on arrival, the item costs the server nothing more — no
// queue slot, no answer later from a worker — and its caller hears without waiting.
//
// At most `threads` items run at once: the workers', and those run by other threads
// through TryRunHere(). Continue()'s items are exempt from the bound.
//
// Thread safety: Submit, Continue, TryRunHere and Stop may be called from any thread;
// DoneRunningHere on the thread whose TryRunHere succeeded. Items must stay valid until
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
    // Workers run under SCHED_BATCH (common/context/thread_scheduling.h).
    bool batch_scheduling = false;
  };
  enum class Admission { kQueued, kQueueFull, kShed, kBehind };

  explicit WorkerPool(Options options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  Admission Submit(QueuedWork* work, Criticality criticality);
  // Runs `work` on a worker before anything waiting in the queue, with none of the
  // queue's rules: the rest of an item admitted and run before (an asynchronous
  // handler's reply, finishing on a worker), which has done its work and only answers.
  // Run() is called — or Drop(), only when the pool is stopping.
  void Continue(QueuedWork* work);
  // For a thread that is not the pool's (the adapter's completion-queue pollers), the
  // way around the queue: when nothing waits in it and fewer than `threads` items run,
  // claims a worker's place so that the caller runs its item itself, on its own
  // thread, with no hand-off — and returns true; then DoneRunningHere() gives the place
  // back, on the same thread. Otherwise false: submit the item instead. A claimed place
  // counts in busy() and in the bound on items running at once, as a worker's does.
  bool TryRunHere();
  void DoneRunningHere();
  // Whether the calling thread may block: a worker of any WorkerPool in the process,
  // or a thread between TryRunHere() and DoneRunningHere().
  static bool OnWorkerThread();
  // Drops what waits with UNAVAILABLE, lets running items finish and joins the
  // workers; Submit and Continue then drop at once. Idempotent; the destructor calls it.
  void Stop();

  size_t queued() const;
  // Places taken now: items running on workers (continuations included) and on threads
  // that claimed a place with TryRunHere.
  size_t busy() const { return busy_.load(std::memory_order_relaxed); }
  // Items dropped because their Context was done when a worker reached them.
  uint64_t expired_in_queue() const { return expired_in_queue_.load(); }
  // Items refused because they had waited over half their budget in a queue behind.
  uint64_t late_in_queue() const { return late_in_queue_.load(); }

 private:
  size_t Threads() const {
    return options_.threads > 0 ? static_cast<size_t>(options_.threads) : 1;
  }
  void Work();
  struct Waiting {
    QueuedWork* work;
    absl::Time queued_at;
  };
  // Moves the items at the head of the queue that must not run into `expired` (their
  // Context is done) and `late` (waited over half their budget, others behind them).
  void TakeHeadLocked(absl::Time now, std::vector<QueuedWork*>& expired,
                      std::vector<Waiting>& late) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether `waiting` has spent more than half the budget it came with in the queue.
  static bool WaitedTooLong(const Waiting& waiting, absl::Time now);
  // Whether `work`, arriving now, would wait over half its budget (see above).
  bool WouldWaitTooLongLocked(const QueuedWork& work, absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether the pace was measured recently enough to be trusted (kPaceMemory).
  bool PaceIsRecentLocked(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes the head of the queue to run, noting the pace of starts.
  QueuedWork* StartHeadLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes one of the `threads` places if one is free.
  bool ClaimPlace();
  // Drop() with the Context's cause, counted in expired_in_queue().
  void DropExpired(QueuedWork* work);
  // Drop() with RESOURCE_EXHAUSTED, counted in late_in_queue().
  void DropLate(const Waiting& waiting, absl::Time now);

  const Options options_;
  mutable absl::Mutex mu_;
  std::deque<Waiting> queue_ ABSL_GUARDED_BY(mu_);
  std::deque<QueuedWork*> continuations_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The pace: time between two starts while the queue was backlogged, a moving average.
  absl::Duration start_interval_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  absl::Time last_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time last_paced_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::atomic<uint64_t> expired_in_queue_{0};
  std::atomic<uint64_t> late_in_queue_{0};
  // Claimed without the lock by TryRunHere and by workers (ClaimPlace), so that the
  // bound holds between the two; released by workers under the lock, so that a worker
  // waiting for a place looks again (DoneRunningHere takes the lock only when items
  // wait). Sequentially consistent, with waiting_ (see DoneRunningHere).
  std::atomic<size_t> busy_{0};
  // queue_.size(), stored under mu_ on every change, read without it.
  std::atomic<size_t> waiting_{0};
  // stopping_, for TryRunHere's lock-free check.
  std::atomic<bool> stopping_now_{false};
  std::vector<std::thread> workers_;
};

// The admission reason (request log, metrics) of an item the pool dropped with `why`.
inline const char* DropReason(const absl::Status& why) {
  return why.code() == absl::StatusCode::kResourceExhausted ? "late_in_queue"
                                                            : "expired_in_queue";
}

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_WORKER_POOL_H_
