// UnaryCall: one unary call the adapter serves from its completion queue, from the
// request for it to its end; and Reply, how an asynchronous handler answers it.
//
// The adapter keeps a few calls requested per method (ServerAdapter::ServeUnary). When
// one arrives, the poller that receives it requests the next, builds the Context
// (IncomingCall: deadline, metadata, admission) and then runs the handler itself if
// a place for it is free on the pollers and in the worker pool, with nothing waiting
// (ServerAdapter::TryRunOnPoller), or hands the call to the pool's queue with its
// rules. gRPC reports the call's end —
// answered, or cancelled by the caller — with the done event; a cancel cancels the
// Context at once, on the poller that receives it.
//
// Ownership: a call owns itself from its request until three parties have let go of
// it: the done event, the finish event, and its answer's send once it has returned —
// on the thread that finished the call, or later on the poller that held the reply
// (CallPoller::HoldReply); until then the call, and the adapter's count of calls in
// flight, stay. A request that fails (the server shutting down) frees it at once: gRPC
// then reports nothing else for it.
#ifndef BATON_COMMON_RPC_UNARY_CALL_H_
#define BATON_COMMON_RPC_UNARY_CALL_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/context/context.h"
#include "common/rpc/call_poller.h"
#include "common/rpc/incoming_call.h"
#include "common/rpc/policy.h"
#include "common/rpc/service_access.h"
#include "common/rpc/worker_pool.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/async_unary_call.h"

namespace baton::rpc {

class ServerAdapter;
class UnaryCall;

// How an asynchronous unary handler (ServerAdapter::ServeUnaryAsync) answers: call it
// once, from any thread, with OK once the response is filled, or with the failure. The
// request and response stay valid until it is called, and not after; the Context the
// handler was given, until the handler returns (a continuation keeps a copy). Calling
// it may free the call before it returns, and with an after-hook configured it runs
// the hook — on this thread if it may block here, else on a worker, ahead of the
// queue. Dropped without being called, it answers INTERNAL naming the method.
// Move-only.
class Reply {
 public:
  Reply(Reply&& other) noexcept : call_(std::exchange(other.call_, nullptr)) {}
  Reply& operator=(Reply&&) = delete;
  ~Reply();

  void operator()(absl::Status status) &&;

 private:
  friend class UnaryCall;
  explicit Reply(UnaryCall* call) : call_(call) {}

  UnaryCall* call_;
};

// One served method: what every call of it shares. Owned by the adapter.
struct ServedMethod {
  grpc::Service* service = nullptr;
  int index = 0;
  // The short method name, for logs and messages.
  std::string name;
  MethodOptions options;
  // The handler, with the call's request and response passed in untyped; exactly one
  // of the two is set.
  std::function<absl::Status(const Context&, const void* request, void* response)> body;
  std::function<void(const Context&, const void* request, void* response, Reply reply)>
      async_body;
  // A new call of this method, not yet requested.
  std::unique_ptr<UnaryCall> (*make)(ServerAdapter*, const ServedMethod*) = nullptr;

  // Whether this method's replies are held (call_poller.h), and replies may be held
  // across its handler: each of its last kQuickRunsToHold runs on a poller returned
  // within kQuickRun. One that has not shown it — at first, and after any slower run —
  // has its replies sent at once, and what is held sent before it runs; so do calls
  // with hooks around the handler. (A slow method's replies come too far apart to gain
  // from going together.) A handler that blocks after showing itself quick delays the
  // replies held at the time, each time it does: a handler that is quick but now and
  // then slow costs those replies its slow runs.
  bool ShownQuick() const {
    return quick_runs.load(std::memory_order_relaxed) >= kQuickRunsToHold;
  }
  void CountRunOnPoller(absl::Duration took) const;

  static constexpr int kQuickRunsToHold = 16;
  static constexpr absl::Duration kQuickRun = absl::Microseconds(20);
  // Consecutive quick runs, counted up to about kQuickRunsToHold (racing pollers may
  // pass it by a few); a statistic of the method's calls.
  mutable std::atomic<int> quick_runs{0};
};

class UnaryCall : public QueuedWork {
 public:
  UnaryCall(ServerAdapter* adapter, const ServedMethod* method);
  ~UnaryCall() override;
  UnaryCall(const UnaryCall&) = delete;
  UnaryCall& operator=(const UnaryCall&) = delete;

  // Hands this call to gRPC: it waits on `queue` for the method's next call.
  static void Await(std::unique_ptr<UnaryCall> call, grpc::ServerCompletionQueue* queue);

  const Context& context() const override { return incoming_->context(); }
  void Run() override;
  void Drop(absl::Status why) override;

 protected:
  grpc::ServerContext& server_context() { return server_context_; }
  const ServedMethod& method() const { return *method_; }

 private:
  friend class Reply;

  // The typed parts.
  virtual void IssueRequest(grpc::ServerCompletionQueue* queue, void* tag) = 0;
  virtual void SendFinish(const grpc::Status& status, void* tag) = 0;
  virtual const void* request() const = 0;
  virtual void* response() = 0;

  // A completion-queue event of this call: runs `on` with the event's ok.
  class Event final : public PollerTag {
   public:
    Event(UnaryCall* call, void (UnaryCall::*on)(bool)) : call_(call), on_(on) {}
    void Complete(bool ok) override { (call_->*on_)(ok); }

   private:
    UnaryCall* const call_;
    void (UnaryCall::*const on_)(bool);
  };

  void Arrived(bool ok);
  void Ended(bool ok);
  void Finished(bool ok);
  void RunAsync();
  // Reply's end: the handler's answer.
  void Answer(absl::Status status);
  // Concludes the call and sends its answer, or has the poller hold it for a moment
  // (CallPoller::HoldReply).
  void Finish(const absl::Status& status, const std::string& admission);
  // Sends answer_: the send event's reaction.
  void SendAnswer(bool ok);
  void Release();

  // First member, so last to go: its in-flight count is the last the call holds of
  // the adapter.
  std::optional<IncomingCall> incoming_;
  ServerAdapter* const adapter_;
  const ServedMethod* const method_;
  grpc::ServerContext server_context_;
  Event arrived_{this, &UnaryCall::Arrived};
  Event ended_{this, &UnaryCall::Ended};
  Event finished_{this, &UnaryCall::Finished};
  Event send_{this, &UnaryCall::SendAnswer};
  grpc::Status answer_;
  std::atomic<int> parties_{3};
  // Which of the arrival and a cancel came first (kArrived, kCancelled): the later
  // one cancels the Context, once the arrival has built it.
  std::atomic<int> cancel_handoff_{0};
  // An OK reply from async_body waits in the pool to finish (Answer).
  bool replied_ = false;
};

// UnaryCall with its messages.
template <typename Request, typename Response>
class TypedUnaryCall final : public UnaryCall {
 public:
  using UnaryCall::UnaryCall;

 private:
  void IssueRequest(grpc::ServerCompletionQueue* queue, void* tag) override {
    ServiceAccess::RequestUnary(*method().service, method().index, &server_context(), &request_,
                                &writer_, queue, tag);
  }
  // Sends the response only with OK.
  void SendFinish(const grpc::Status& status, void* tag) override {
    writer_.Finish(response_, status, tag);
  }
  const void* request() const override { return &request_; }
  void* response() override { return &response_; }

  Request request_;
  Response response_;
  grpc::ServerAsyncResponseWriter<Response> writer_{&server_context()};
};

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_UNARY_CALL_H_
