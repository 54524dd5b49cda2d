// CallPoller: the threads that serve the completion queue on which the adapter asks
// gRPC for its unary calls (server_adapter.h, unary_call.h).
//
// Each event on the queue is a PollerTag, and the thread that takes it from the queue
// runs it. A poller that receives a call may run its handler itself (the worker
// pool's TryRunHere), so a request costs no thread hand-off; at most one fewer
// handlers than pollers run on pollers at once (ClaimHandlerPlace), so one is always
// free to take the next arrival or a caller's cancel.
//
// How many: one per CPU the process may run on (at most the worker pool's size), and
// the one that stays free (ServerAdapter). Pollers beyond the CPUs only take turns on
// them — each event likely on a thread whose caches have gone cold meanwhile, and more
// threads to hand the queue's polling between: on one CPU, a bare completion-queue
// server lost 11% of its QPS with nine threads polling against two
// (docs/benchmarks.md §2).
//
// Thread safety: the queue may be used from any thread until destruction. Destruction
// shuts the queue down, serves the events still in it and joins the threads: the
// grpc::Server that uses the queue must have been shut down before.
#ifndef BATON_COMMON_RPC_CALL_POLLER_H_
#define BATON_COMMON_RPC_CALL_POLLER_H_

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "grpcpp/completion_queue.h"

namespace baton::rpc {

// What a completion-queue event completes; the poller calls Complete() with the
// event's `ok`, once.
class PollerTag {
 public:
  virtual void Complete(bool ok) = 0;

 protected:
  ~PollerTag() = default;
};

class CallPoller {
 public:
  // The threads run under SCHED_BATCH when `batch_scheduling`
  // (common/context/thread_scheduling.h).
  CallPoller(std::unique_ptr<grpc::ServerCompletionQueue> queue, int threads,
             bool batch_scheduling);
  ~CallPoller();
  CallPoller(const CallPoller&) = delete;
  CallPoller& operator=(const CallPoller&) = delete;

  grpc::ServerCompletionQueue* queue() const { return queue_.get(); }

  // For a poller about to run a handler itself: claims one of the places for handlers
  // on pollers, one fewer than the pollers; false when none is free (hand the handler
  // to a worker instead). ReleaseHandlerPlace() gives it back.
  bool ClaimHandlerPlace();
  void ReleaseHandlerPlace();

 private:
  void Poll();

  std::unique_ptr<grpc::ServerCompletionQueue> queue_;
  const int handler_places_;
  std::atomic<int> handlers_running_{0};
  std::vector<std::thread> threads_;
};

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_CALL_POLLER_H_
