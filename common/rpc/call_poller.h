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
// Held replies. Sent the moment its handler returns, each reply of a busy server goes
// out alone, a few microseconds after the last, and a caller that keeps up with them
// sleeps between them: nearly every reply wakes it. On a loopback client the waking
// costs the server's CPU (docs/benchmarks.md §2: 0.14 wake-ups of the client per call,
// against 0.02 for a bare gRPC server). So a poller holds the replies it finishes
// (HoldReply) and sends them together: when no other event is ready for it, once
// kMaxHeldReplies wait or the oldest has waited kMaxReplyHold (checked between events),
// and when its caller asks (SendHeldReplies) — UnaryCall does before a handler that has
// not shown itself quick, so that a reply does not wait behind a handler that may
// block. Off-load, the queue is empty after each event, and a reply goes at once.
//
// Thread safety: the queue may be used from any thread until destruction. Destruction
// shuts the queue down, serves the events still in it, sends what its threads hold and
// joins the threads: the grpc::Server that uses the queue must have been shut down
// before. HoldReply and SendHeldReplies act on the calling thread's own replies.
#ifndef BATON_COMMON_RPC_CALL_POLLER_H_
#define BATON_COMMON_RPC_CALL_POLLER_H_

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/time/time.h"
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
  // The tag to give gRPC for `tag`'s event on a poller's queue. gRPC passes a tag from
  // the thread that gives it to the poller that completes it in ways ThreadSanitizer
  // does not see (Debian's gRPC is not instrumented, and a poller may take a ready
  // event without a lock); this and the poller's counterpart tell it.
  static void* AsGrpcTag(PollerTag* tag);

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

  // Held replies (above). On a poller's thread, holds `send`, whose Complete(true)
  // sends a reply, and returns true; the poller completes it on this thread, within
  // the bounds above unless the thread blocks meanwhile. That may be after the queue
  // has been shut down (the thread's last act): `send` must then send nothing, and
  // its `ok` carries no news. Elsewhere returns false: send it now. A poller's thread
  // holds any reply finished on it, whichever CallPoller's call it answers.
  static bool HoldReply(PollerTag* send);
  // On a poller's thread, sends the replies it holds, oldest first; elsewhere nothing.
  static void SendHeldReplies();

  static constexpr size_t kMaxHeldReplies = 32;
  static constexpr absl::Duration kMaxReplyHold = absl::Microseconds(500);

 private:
  void Poll();

  std::unique_ptr<grpc::ServerCompletionQueue> queue_;
  const int handler_places_;
  std::atomic<int> handlers_running_{0};
  std::vector<std::thread> threads_;
};

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_CALL_POLLER_H_
