// Outbound streams opened under a Context — the client side of a service that relays
// or consumes a stream (the gateway's WatchProduct reads inventory's WatchStock through
// a ClientStreamReader):
//
//   auto stream = rpc::ClientStreamReader<StockChange>::Open(ctx, "inventory.WatchStock",
//       [&](grpc::ClientContext* call, grpc::ClientReadReactor<StockChange>* reactor) {
//         inventory_->async()->WatchStock(call, &request, reactor);
//       });
//   StockChange change;
//   while (*stream->Read(change)) { ... }
//   absl::Status status = stream->Finish();
//
//   ClientStreamReader<Response>          server streaming: Read
//   ClientStreamWriter<Request, Response> client streaming: Write, then Finish (the answer)
//   ClientBidiStream<Request, Response>   bidirectional: Read, Write, WritesDone
//
// Every one carries what a unary call from the Context carries (client_call.h:
// deadline less the slack, exact budget, request id, trace, baggage...). When the
// Context ends — the caller of this hop cancelled, its deadline passed — the stream is
// cancelled at once (TryCancel from AfterFunc), a blocked Read or Write returns the
// Context's cause, and the callee sees the cancellation. One message is read ahead of
// the reader and one written at a time, no more: a reader that stops reading stops the
// callee, a callee that stops reading stops the writer; nothing piles up here.
//
// Thread safety: a stream's methods belong to one thread. The destructor cancels a
// stream still open and waits for gRPC to be done with it.
#ifndef BATON_COMMON_RPC_CLIENT_STREAM_H_
#define BATON_COMMON_RPC_CLIENT_STREAM_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/context/context.h"
#include "common/rpc/call_state.h"
#include "common/rpc/client_call.h"
#include "common/rpc/status.h"
#include "common/rpc/stream_flow.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/client_callback.h"

namespace baton::rpc {
namespace stream_internal {

// What every outbound stream does over its gRPC client reactor `Reactor`: preparing
// the call from the Context, cancelling it with the Context, holding it open while the
// owner may still start reads or writes, and its end.
template <typename Reactor>
class ClientStreamCore : public Reactor {
 public:
  // The most derived class's destructor calls Shutdown(), before its own members (which
  // gRPC's reactions touch) go.
  ~ClientStreamCore() override { Shutdown(); }

  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    status_ = FromGrpcStatus(status);
    done_ = true;
  }

 protected:
  explicit ClientStreamCore(const Context& ctx) : ctx_(ctx) {}

  // Prepares the call; false (the stream is finished with the reason) if it cannot be
  // sent.
  bool Prepare(const std::string& target) {
    if (absl::Status prepared = PrepareOutbound(ctx_, target, client_); !prepared.ok()) {
      absl::MutexLock lock(&mu_);
      done_ = true;
      status_ = prepared;
      return false;
    }
    started_ = true;
    cancel_ = AfterFunc(ctx_, [this] { client_.TryCancel(); });
    return true;
  }

  // After the stub's async method bound this reactor to the call. Reads and writes are
  // started from the owner's thread, outside gRPC's reactions: the hold keeps gRPC from
  // finishing the call between them until the owner is done with it.
  void Begin() {
    this->AddHold();
    held_ = true;
    this->StartCall();
  }

  // Cancels the call if it is open and waits until gRPC is done with it. Idempotent.
  void Shutdown() {
    if (!started_) return;
    client_.TryCancel();
    ReleaseHold();
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
  }

  void ReleaseHold() {
    if (!held_) return;
    held_ = false;
    this->RemoveHold();
  }

  // Cancels the call unless `complete`, waits for its end; its status, or the
  // Context's cause when the Context ended it.
  absl::Status End(bool complete) {
    if (started_ && !complete) client_.TryCancel();
    ReleaseHold();
    absl::Status status;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(&done_));
      status = status_;
    }
    cancel_.Stop();
    if (status.ok()) return status;
    if (ctx_.IsDone()) return Cause(ctx_);
    // The callee was given our deadline less the slack and ended there: the budget
    // that ran out is ours, and our answer names it (as a unary call's does).
    if (status.code() == absl::StatusCode::kDeadlineExceeded &&
        absl::Now() + kOursWithin >= ctx_.Deadline()) {
      const CallState* state = CallStateOf(ctx_);
      if (state != nullptr && ctx_.Deadline() == state->deadline()) return state->deadline_cause();
      if (ctx_.WaitUntil(ctx_.Deadline() + kOursWithin)) return Cause(ctx_);
    }
    return status;
  }

  // A callee's DEADLINE_EXCEEDED this close to our own deadline is ours.
  static constexpr absl::Duration kOursWithin = absl::Milliseconds(50);

  bool started() const { return started_; }
  const Context& context() const { return ctx_; }
  grpc::ClientContext* client() { return &client_; }

 private:
  Context ctx_;
  grpc::ClientContext client_;
  AfterFuncHandle cancel_;
  bool started_ = false;
  bool held_ = false;
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

// Reads with one message read ahead, over a core that has StartRead.
template <typename Stream, typename T>
class ClientReads {
 public:
  explicit ClientReads(Stream* stream) : stream_(stream) {}
  void Watch(const Context& ctx) {
    ctx_ = &ctx;
    flow_.Watch(ctx);
  }

  absl::StatusOr<bool> Read(T& message) {
    if (ended_) return false;
    if (!reading_) {
      if (absl::Status begun = flow_.Begin("read"); !begun.ok()) return begun;
      stream_->StartRead(&buffer_);
    }
    reading_ = false;
    absl::StatusOr<bool> ok = flow_.Await();
    if (!ok.ok()) return ok.status();
    if (!*ok) {
      // The Context's cancel may reach the stream before it reaches this reader.
      if (ctx_->IsDone()) return Cause(*ctx_);
      ended_ = true;
      return false;
    }
    message = std::move(buffer_);
    // The next message travels while this one is used.
    if (flow_.Begin("read").ok()) {
      reading_ = true;
      stream_->StartRead(&buffer_);
    }
    return true;
  }

  void Done(bool ok) { flow_.Complete(ok); }
  bool ended() const { return ended_; }

 private:
  Stream* const stream_;
  const Context* ctx_ = nullptr;
  StreamFlow flow_;
  bool ended_ = false;
  bool reading_ = false;
  T buffer_;
};

// Writes one at a time, over a core that has StartWrite and StartWritesDone.
template <typename Stream, typename T>
class ClientWrites {
 public:
  explicit ClientWrites(Stream* stream) : stream_(stream) {}
  void Watch(const Context& ctx) {
    ctx_ = &ctx;
    flow_.Watch(ctx);
  }

  absl::Status Write(const T& message) {
    if (closed_) return absl::FailedPreconditionError("write after WritesDone");
    if (absl::Status begun = flow_.Begin("write"); !begun.ok()) return begun;
    buffer_ = message;
    stream_->StartWrite(&buffer_);
    absl::StatusOr<bool> ok = flow_.Await();
    if (!ok.ok()) return ok.status();
    if (!*ok) {
      if (ctx_->IsDone()) return Cause(*ctx_);
      return absl::CancelledError("the stream was closed before the message was sent");
    }
    return absl::OkStatus();
  }

  // No more messages from this side (the callee reads the end of its stream).
  void WritesDone() {
    if (closed_) return;
    closed_ = true;
    stream_->StartWritesDone();
  }

  void Done(bool ok) { flow_.Complete(ok); }

 private:
  Stream* const stream_;
  const Context* ctx_ = nullptr;
  StreamFlow flow_;
  bool closed_ = false;
  T buffer_;
};

}  // namespace stream_internal

template <typename Response>
class ClientStreamReader final
    : public stream_internal::ClientStreamCore<grpc::ClientReadReactor<Response>> {
 public:
  using Starter =
      absl::AnyInvocable<void(grpc::ClientContext*, grpc::ClientReadReactor<Response>*) &&>;

  // Opens the stream under `ctx`; `target` ("inventory.WatchStock") names it in
  // messages. A stream that cannot be sent (the Context is done, too little budget) is
  // returned already finished with that status.
  static std::unique_ptr<ClientStreamReader> Open(const Context& ctx, std::string target,
                                                  Starter start) {
    auto stream = std::make_unique<ClientStreamReader>(Key(), ctx);
    if (!stream->Prepare(target)) return stream;
    stream->reads_.Watch(stream->context());
    std::move(start)(stream->client(), stream.get());
    stream->Begin();
    return stream;
  }

  // The next message: true; false once the stream has ended (Finish() says how). The
  // Context's cause if it ends first.
  absl::StatusOr<bool> Read(Response& message) {
    if (!this->started()) return false;
    absl::StatusOr<bool> more = reads_.Read(message);
    if (more.ok() && !*more) this->ReleaseHold();
    return more;
  }

  // Cancels the stream if it is still open, waits for its end and returns its status.
  absl::Status Finish() { return this->End(reads_.ended()); }

  void OnReadDone(bool ok) override { reads_.Done(ok); }

  ~ClientStreamReader() override { this->Shutdown(); }

  // Only Open() can make the key: streams are made through it.
  class Key {
    friend class ClientStreamReader;
    Key() = default;
  };
  ClientStreamReader(Key, const Context& ctx)
      : stream_internal::ClientStreamCore<grpc::ClientReadReactor<Response>>(ctx) {}

 private:
  stream_internal::ClientReads<ClientStreamReader, Response> reads_{this};
};

template <typename Request, typename Response>
class ClientStreamWriter final
    : public stream_internal::ClientStreamCore<grpc::ClientWriteReactor<Request>> {
 public:
  using Starter = absl::AnyInvocable<void(grpc::ClientContext*, Response*,
                                          grpc::ClientWriteReactor<Request>*) &&>;

  static std::unique_ptr<ClientStreamWriter> Open(const Context& ctx, std::string target,
                                                  Starter start) {
    auto stream = std::make_unique<ClientStreamWriter>(Key(), ctx);
    if (!stream->Prepare(target)) return stream;
    stream->writes_.Watch(stream->context());
    std::move(start)(stream->client(), &stream->response_, stream.get());
    stream->Begin();
    return stream;
  }

  // Sends `message`, blocking until gRPC has taken it; the Context's cause if it ends.
  absl::Status Write(const Request& message) {
    if (!this->started()) return this->End(false);
    return writes_.Write(message);
  }

  // Ends this side's messages and waits for the callee's answer: `response` and OK, or
  // its status (the Context's cause when the Context ended the call).
  absl::Status Finish(Response& response) {
    if (this->started()) writes_.WritesDone();
    absl::Status status = this->End(/*complete=*/true);
    if (status.ok()) response = std::move(response_);
    return status;
  }

  void OnWriteDone(bool ok) override { writes_.Done(ok); }
  void OnWritesDoneDone(bool) override {}

  ~ClientStreamWriter() override { this->Shutdown(); }

  class Key {
    friend class ClientStreamWriter;
    Key() = default;
  };
  ClientStreamWriter(Key, const Context& ctx)
      : stream_internal::ClientStreamCore<grpc::ClientWriteReactor<Request>>(ctx) {}

 private:
  stream_internal::ClientWrites<ClientStreamWriter, Request> writes_{this};
  Response response_;
};

template <typename Request, typename Response>
class ClientBidiStream final
    : public stream_internal::ClientStreamCore<grpc::ClientBidiReactor<Request, Response>> {
 public:
  using Starter = absl::AnyInvocable<void(grpc::ClientContext*,
                                          grpc::ClientBidiReactor<Request, Response>*) &&>;

  static std::unique_ptr<ClientBidiStream> Open(const Context& ctx, std::string target,
                                                Starter start) {
    auto stream = std::make_unique<ClientBidiStream>(Key(), ctx);
    if (!stream->Prepare(target)) return stream;
    stream->reads_.Watch(stream->context());
    stream->writes_.Watch(stream->context());
    std::move(start)(stream->client(), stream.get());
    stream->Begin();
    return stream;
  }

  absl::StatusOr<bool> Read(Response& message) {
    if (!this->started()) return false;
    return reads_.Read(message);
  }
  absl::Status Write(const Request& message) {
    if (!this->started()) return this->End(false);
    return writes_.Write(message);
  }
  void WritesDone() {
    if (this->started()) writes_.WritesDone();
  }
  // Waits for the end when both sides are done (cancels it otherwise); its status.
  absl::Status Finish() { return this->End(reads_.ended()); }

  void OnReadDone(bool ok) override { reads_.Done(ok); }
  void OnWriteDone(bool ok) override { writes_.Done(ok); }
  void OnWritesDoneDone(bool) override {}

  ~ClientBidiStream() override { this->Shutdown(); }

  class Key {
    friend class ClientBidiStream;
    Key() = default;
  };
  ClientBidiStream(Key, const Context& ctx)
      : stream_internal::ClientStreamCore<grpc::ClientBidiReactor<Request, Response>>(ctx) {}

 private:
  stream_internal::ClientReads<ClientBidiStream, Response> reads_{this};
  stream_internal::ClientWrites<ClientBidiStream, Request> writes_{this};
};

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_CLIENT_STREAM_H_
