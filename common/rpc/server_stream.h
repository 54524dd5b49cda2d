// Streaming handlers through the server adapter: server-streaming, client-streaming
// and bidirectional methods get the same Context as unary ones — the deadline and its
// cause, push cancellation, the metadata values, admission, the budget trail in the
// trailers, one request-log line when the stream ends — and are plain blocking code:
//
//   absl::Status WatchStock(const Context& ctx, const WatchStockRequest& request,
//                           rpc::StreamWriter<StockChange>& out) {
//     while (...) {
//       if (absl::Status sent = out.Write(change); !sent.ok()) return sent;
//     }
//   }
//
// (stream_method.h has the one-line macros that connect a generated method.)
//
// Reads block one at a time (stream_flow.h). Writes are accepted while a few (16)
// messages wait for the transport, and block beyond that: a slow consumer slows the
// producer and nothing buffers without bound. What a handler wrote is sent before the
// OK that ends the stream. Once the Context is done — the caller cancelled or went away, the
// deadline passed, the server drains — a blocked read or write returns its cause at
// once and every later one fails fast with it; the handler's status is then the
// call's status (normally that same cause).
//
// Stream handlers run on the adapter's stream pool (ServerAdapter::Options::streams),
// one thread per open stream, apart from the unary workers; beyond its threads and
// queue, a stream is refused RESOURCE_EXHAUSTED.
//
// Thread safety: a handler's reader and writer belong to its thread.
#ifndef BATON_COMMON_RPC_SERVER_STREAM_H_
#define BATON_COMMON_RPC_SERVER_STREAM_H_

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/context/context.h"
#include "common/rpc/incoming_call.h"
#include "common/rpc/server_adapter.h"
#include "common/rpc/stream_flow.h"
#include "grpcpp/support/server_callback.h"

namespace baton::rpc {

template <typename T>
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Sends `message` (copied), blocking until gRPC has taken it. The Context's cause
  // once it is done; CANCELLED if the stream was closed under the write.
  virtual absl::Status Write(const T& message) = 0;
};

template <typename T>
class StreamReader {
 public:
  virtual ~StreamReader() = default;
  // The next message into `message`: true; false at the end of the stream (the
  // caller closed its side). The Context's cause if it is done first.
  virtual absl::StatusOr<bool> Read(T& message) = 0;
};

namespace stream_internal {

// The reads of one call, over the gRPC reactor that has StartRead.
template <typename Reactor, typename T>
class Reads final : public StreamReader<T> {
 public:
  explicit Reads(Reactor* reactor) : reactor_(reactor) {}
  void Watch(const Context& ctx) {
    ctx_ = &ctx;
    flow_.Watch(ctx);
  }

  absl::StatusOr<bool> Read(T& message) override {
    if (ended_) return false;
    if (absl::Status begun = flow_.Begin("read"); !begun.ok()) return begun;
    reactor_->StartRead(&buffer_);
    absl::StatusOr<bool> ok = flow_.Await();
    if (!ok.ok()) return ok.status();
    if (!*ok) {
      // The caller closed its side — or the call is gone (gRPC may report the failed
      // read before its OnCancel: the reactor checks).
      if (reactor_->CallCancelled() || ctx_->IsDone()) return Cause(*ctx_);
      ended_ = true;
      return false;
    }
    message = std::move(buffer_);
    return true;
  }

  void Done(bool ok) { flow_.Complete(ok); }
  bool outstanding() const { return flow_.outstanding(); }

 private:
  Reactor* const reactor_;
  const Context* ctx_ = nullptr;
  StreamFlow flow_;
  bool ended_ = false;
  T buffer_;
};

// The writes of one call, over the gRPC reactor that has StartWrite. gRPC takes one
// write at a time; a few more messages wait here so that the transport always has the
// next one (a handler never waits a thread hop per message), and no more: when they
// are all waiting, Write blocks — a reader that stops, stops the writer.
template <typename Reactor, typename T>
class Writes final : public StreamWriter<T> {
 public:
  static constexpr size_t kAhead = 16;

  explicit Writes(Reactor* reactor) : reactor_(reactor) {}
  void Watch(const Context& ctx) {
    ctx_ = &ctx;
    on_done_ = AfterFunc(ctx, [this] {
      absl::MutexLock lock(&mu_);
      context_done_ = true;
    });
  }

  absl::Status Write(const T& message) override {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Writes* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
            return w->queue_.size() < kAhead || w->context_done_ || w->broken_ || w->closed_;
          },
          this));
      // The Context itself as well as the flag: the flag is set by an AfterFunc
      // callback, which runs a moment after the Context is done, and a write after the
      // Context is done must fail from the moment IsDone() says so.
      if (!context_done_ && !broken_ && !closed_ && !ctx_->IsDone()) {
        queue_.push_back(message);
        StartNextLocked();
        return absl::OkStatus();
      }
    }
    // Outside the lock: finding the cause may cancel the Context, which takes it.
    return Failure();
  }

  // Waits until every message accepted has been taken by gRPC: OK, or why not.
  absl::Status Flush() {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Writes* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
            return (!w->writing_ && w->queue_.empty()) || w->context_done_ || w->broken_;
          },
          this));
      if (!context_done_ && !broken_) return absl::OkStatus();
    }
    return Failure();
  }

  // gRPC's OnWriteDone: the next waiting message goes out.
  void Done(bool ok) {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      broken_ = true;
      queue_.clear();
      return;
    }
    StartNextLocked();
  }

  // The call is being finished: messages still waiting are dropped and none is started
  // any more. Whether one is still gRPC's.
  bool Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    queue_.clear();
    return writing_;
  }

 private:
  // Starts the next waiting message if none is being written. Under the lock, so that
  // a write is never started after Close (then Finish): gRPC's reactor contract
  // allows no operation after Finish. OnWriteDone never runs inline, so this cannot
  // re-enter.
  void StartNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || closed_ || queue_.empty()) return;
    writing_ = true;
    current_ = std::move(queue_.front());
    queue_.pop_front();
    reactor_->StartWrite(&current_);
  }

  absl::Status Failure() {
    if (reactor_->CallCancelled() || ctx_->IsDone()) return Cause(*ctx_);
    return absl::CancelledError("the stream was closed before the message was sent");
  }

  Reactor* const reactor_;
  const Context* ctx_ = nullptr;
  mutable absl::Mutex mu_;
  std::deque<T> queue_ ABSL_GUARDED_BY(mu_);
  // Given to gRPC while writing_.
  T current_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool context_done_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  // Last, so destroyed first: stopping it waits for a running callback, which locks mu_.
  AfterFuncHandle on_done_;
};

// What every streaming reactor does around its handler: arrival, the stream pool,
// and the end (trailers, log; the call cancelled first if an operation is still in
// gRPC's hands, so that it completes and the reactor can go).
//
// The reactors let gRPC run OnCancel on the thread that read the cancel, not hand it
// to its executor first: one thread hand-off less per hop on the way down (a relayed
// stream's inner call is cancelled from there). OnCancel only cancels the Context, and
// gRPC runs it while it still holds a reference to the call, so it never meets OnDone.
// For streams gRPC asks InternalInlineable() about OnCancel only; when OnDone runs
// inline is its own fixed choice.
template <typename Self>
class StreamCall : public QueuedWork {
 public:
  StreamCall(ServerAdapter* adapter, grpc::CallbackServerContext* call, std::string_view method)
      : incoming_(adapter, call, method) {}

  const Context& context() const override { return incoming_.context(); }
  void Drop(absl::Status why) override {
    const IncomingCall::Refusal dropped = incoming_.Dropped(why);
    End(dropped.status, dropped.reason);
  }

  // Whether gRPC has cancelled the call; if so, the Context is cancelled now as
  // OnCancel would (a failed read or write can be reported before OnCancel runs).
  bool CallCancelled() {
    if (!incoming_.grpc_call()->IsCancelled()) return false;
    incoming_.OnCancel();
    return true;
  }

 protected:
  void Begin(const MethodOptions& options) {
    if (std::optional<IncomingCall::Refusal> refusal = incoming_.Arrive(options)) {
      End(refusal->status, refusal->reason);
      return;
    }
    self().WatchFlows(incoming_.context());
    if (std::optional<IncomingCall::Refusal> refusal = incoming_.Queue(this, /*stream=*/true)) {
      End(refusal->status, refusal->reason);
    }
  }

  template <typename Body>
  void RunBody(Body&& body) {
    absl::Status status = incoming_.RunHandler(std::forward<Body>(body));
    // What the handler wrote is sent before the status that says it is complete.
    if (status.ok()) status = self().FlushWrites();
    End(status, incoming_.admission());
  }

  void End(const absl::Status& status, const std::string& admission) {
    grpc::Status final_status = incoming_.Conclude(status, admission);
    if (self().CloseFlows()) {
      // A read or write is still gRPC's (the Context ended under it). A caller that
      // reads lets it complete and then gets the status; one that does not would hold
      // the call open, so after a grace the call is cancelled. OnDone (the owner's
      // destruction) stops the timer.
      grace_ = WithTimeout(Background(), kFinishGrace);
      cancel_after_grace_ = AfterFunc(grace_.context, [call = incoming_.grpc_call()] {
        call->TryCancel();
      });
    }
    // The last touch: gRPC may call OnDone (and free this) as soon as it has it.
    self().Finish(std::move(final_status));
  }

  static constexpr absl::Duration kFinishGrace = absl::Seconds(1);

  IncomingCall incoming_;
  DerivedContext<CancelHandle> grace_;
  AfterFuncHandle cancel_after_grace_;

 private:
  Self& self() { return static_cast<Self&>(*this); }
};

template <typename Request, typename Response>
class ServerStreamingCall final
    : public grpc::ServerWriteReactor<Response>,
      public StreamCall<ServerStreamingCall<Request, Response>> {
 public:
  using Handler = absl::AnyInvocable<absl::Status(const Context&, const Request&,
                                                  StreamWriter<Response>&) &&>;
  ServerStreamingCall(ServerAdapter* adapter, grpc::CallbackServerContext* call,
                      const Request* request, std::string_view method, Handler handler)
      : StreamCall<ServerStreamingCall>(adapter, call, method),
        request_(request),
        handler_(std::move(handler)) {}

  void Start(const MethodOptions& options) { this->Begin(options); }
  void Run() override {
    this->RunBody(
        [this](const Context& ctx) { return std::move(handler_)(ctx, *request_, writes_); });
  }
  void OnWriteDone(bool ok) override { writes_.Done(ok); }
  void OnCancel() override { this->incoming_.OnCancel(); }
  // OnCancel on the gRPC thread that read the cancel (StreamCall says why it may).
  bool InternalInlineable() override { return true; }
  void OnDone() override { std::unique_ptr<ServerStreamingCall> self(this); }
  void WatchFlows(const Context& ctx) { writes_.Watch(ctx); }
  bool CloseFlows() { return writes_.Close(); }
  absl::Status FlushWrites() { return writes_.Flush(); }

 private:
  const Request* const request_;
  Handler handler_;
  Writes<ServerStreamingCall, Response> writes_{this};
};

template <typename Request, typename Response>
class ClientStreamingCall final
    : public grpc::ServerReadReactor<Request>,
      public StreamCall<ClientStreamingCall<Request, Response>> {
 public:
  using Handler =
      absl::AnyInvocable<absl::Status(const Context&, StreamReader<Request>&, Response&) &&>;
  ClientStreamingCall(ServerAdapter* adapter, grpc::CallbackServerContext* call,
                      Response* response, std::string_view method, Handler handler)
      : StreamCall<ClientStreamingCall>(adapter, call, method),
        response_(response),
        handler_(std::move(handler)) {}

  void Start(const MethodOptions& options) { this->Begin(options); }
  void Run() override {
    this->RunBody(
        [this](const Context& ctx) { return std::move(handler_)(ctx, reads_, *response_); });
  }
  void OnReadDone(bool ok) override { reads_.Done(ok); }
  void OnCancel() override { this->incoming_.OnCancel(); }
  // OnCancel on the gRPC thread that read the cancel (StreamCall says why it may).
  bool InternalInlineable() override { return true; }
  void OnDone() override { std::unique_ptr<ClientStreamingCall> self(this); }
  void WatchFlows(const Context& ctx) { reads_.Watch(ctx); }
  bool CloseFlows() { return reads_.outstanding(); }
  absl::Status FlushWrites() { return absl::OkStatus(); }

 private:
  Response* const response_;
  Handler handler_;
  Reads<ClientStreamingCall, Request> reads_{this};
};

template <typename Request, typename Response>
class BidiStreamingCall final
    : public grpc::ServerBidiReactor<Request, Response>,
      public StreamCall<BidiStreamingCall<Request, Response>> {
 public:
  using Handler = absl::AnyInvocable<absl::Status(const Context&, StreamReader<Request>&,
                                                  StreamWriter<Response>&) &&>;
  BidiStreamingCall(ServerAdapter* adapter, grpc::CallbackServerContext* call,
                    std::string_view method, Handler handler)
      : StreamCall<BidiStreamingCall>(adapter, call, method), handler_(std::move(handler)) {}

  void Start(const MethodOptions& options) { this->Begin(options); }
  void Run() override {
    this->RunBody(
        [this](const Context& ctx) { return std::move(handler_)(ctx, reads_, writes_); });
  }
  void OnReadDone(bool ok) override { reads_.Done(ok); }
  void OnWriteDone(bool ok) override { writes_.Done(ok); }
  void OnCancel() override { this->incoming_.OnCancel(); }
  // OnCancel on the gRPC thread that read the cancel (StreamCall says why it may).
  bool InternalInlineable() override { return true; }
  void OnDone() override { std::unique_ptr<BidiStreamingCall> self(this); }
  void WatchFlows(const Context& ctx) {
    reads_.Watch(ctx);
    writes_.Watch(ctx);
  }
  bool CloseFlows() {
    const bool writing = writes_.Close();
    return reads_.outstanding() || writing;
  }
  absl::Status FlushWrites() { return writes_.Flush(); }

 private:
  Handler handler_;
  Reads<BidiStreamingCall, Request> reads_{this};
  Writes<BidiStreamingCall, Response> writes_{this};
};

}  // namespace stream_internal

// The reactor a generated server-streaming method returns. `method` must outlive the
// call (a string literal).
template <typename Request, typename Response, typename Handler>
grpc::ServerWriteReactor<Response>* ServeServerStream(ServerAdapter* adapter,
                                                      grpc::CallbackServerContext* call,
                                                      const Request* request,
                                                      std::string_view method, Handler&& handler,
                                                      const MethodOptions& options = {}) {
  auto* reactor = std::make_unique<stream_internal::ServerStreamingCall<Request, Response>>(
                      adapter, call, request, method, std::forward<Handler>(handler))
                      .release();
  reactor->Start(options);
  return reactor;
}

// The reactor a generated client-streaming method returns.
template <typename Request, typename Response, typename Handler>
grpc::ServerReadReactor<Request>* ServeClientStream(ServerAdapter* adapter,
                                                    grpc::CallbackServerContext* call,
                                                    Response* response, std::string_view method,
                                                    Handler&& handler,
                                                    const MethodOptions& options = {}) {
  auto* reactor = std::make_unique<stream_internal::ClientStreamingCall<Request, Response>>(
                      adapter, call, response, method, std::forward<Handler>(handler))
                      .release();
  reactor->Start(options);
  return reactor;
}

// The reactor a generated bidirectional method returns.
template <typename Request, typename Response, typename Handler>
grpc::ServerBidiReactor<Request, Response>* ServeBidiStream(ServerAdapter* adapter,
                                                            grpc::CallbackServerContext* call,
                                                            std::string_view method,
                                                            Handler&& handler,
                                                            const MethodOptions& options = {}) {
  auto* reactor = std::make_unique<stream_internal::BidiStreamingCall<Request, Response>>(
                      adapter, call, method, std::forward<Handler>(handler))
                      .release();
  reactor->Start(options);
  return reactor;
}

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_SERVER_STREAM_H_
