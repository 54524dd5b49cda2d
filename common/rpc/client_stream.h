// ClientStreamReader: the client side of a server-streaming call opened under a
// Context — the outbound stream of a service that relays or consumes one (the
// gateway's WatchProduct reads inventory's WatchStock through it).
//
//   auto stream = rpc::ClientStreamReader<StockChange>::Open(ctx, "inventory.WatchStock",
//       [&](grpc::ClientContext* call, grpc::ClientReadReactor<StockChange>* reactor) {
//         inventory_->async()->WatchStock(call, &request, reactor);
//       });
//   StockChange change;
//   while (*stream->Read(change)) { ... }
//   absl::Status status = stream->Finish();
//
// The call carries what a unary call from the Context carries (client_call.h:
// deadline less the slack, exact budget, request id, trace, baggage...). When the
// Context ends — the caller of this hop cancelled, its deadline passed — the stream is
// cancelled at once (TryCancel from AfterFunc), a blocked Read returns the Context's
// cause, and the callee sees the cancellation. One message is read ahead of the
// reader, no more: a reader that stops reading stops the callee (flow control),
// nothing piles up here.
//
// Thread safety: Read and Finish belong to one thread. The destructor cancels a
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
#include "common/context/context.h"
#include "common/rpc/client_call.h"
#include "common/rpc/status.h"
#include "common/rpc/stream_flow.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/client_callback.h"

namespace baton::rpc {

template <typename Response>
class ClientStreamReader final : public grpc::ClientReadReactor<Response> {
 public:
  using Starter =
      absl::AnyInvocable<void(grpc::ClientContext*, grpc::ClientReadReactor<Response>*) &&>;

  // Opens the stream under `ctx`; `target` ("inventory.WatchStock") names it in
  // messages. A stream that cannot be sent (the Context is done, too little budget) is
  // returned already finished with that status.
  static std::unique_ptr<ClientStreamReader> Open(const Context& ctx, std::string target,
                                                  Starter start) {
    auto stream = std::make_unique<ClientStreamReader>(Key(), ctx);
    if (absl::Status prepared = PrepareOutbound(ctx, target, stream->client_); !prepared.ok()) {
      absl::MutexLock lock(&stream->mu_);
      stream->done_ = true;
      stream->status_ = prepared;
      return stream;
    }
    stream->started_ = true;
    stream->reads_.Watch(stream->ctx_);
    stream->cancel_ = AfterFunc(stream->ctx_, [raw = stream.get()] { raw->client_.TryCancel(); });
    std::move(start)(&stream->client_, stream.get());
    // Reads are started from the reader's thread, outside gRPC's reactions: the hold
    // keeps gRPC from finishing the call (OnDone) between them until the reader is done.
    stream->AddHold();
    stream->held_ = true;
    stream->StartCall();
    return stream;
  }

  ~ClientStreamReader() override {
    if (!started_) return;
    client_.TryCancel();
    ReleaseHold();
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
  }

  // The next message: true; false once the stream has ended (Finish() says how). The
  // Context's cause if it ends first.
  absl::StatusOr<bool> Read(Response& message) {
    if (!started_ || ended_) return false;
    if (!reading_) {
      if (absl::Status begun = reads_.Begin("read"); !begun.ok()) return begun;
      this->StartRead(&buffer_);
    }
    reading_ = false;
    absl::StatusOr<bool> ok = reads_.Await();
    if (!ok.ok()) return ok.status();
    if (!*ok) {
      ended_ = true;
      ReleaseHold();
      return false;
    }
    message = std::move(buffer_);
    // Read ahead: the next message travels while this one is used.
    if (reads_.Begin("read").ok()) {
      reading_ = true;
      this->StartRead(&buffer_);
    }
    return true;
  }

  // Cancels the stream if it is still open, waits for its end and returns its status:
  // the Context's cause when the Context ended it, the callee's status otherwise.
  absl::Status Finish() {
    if (started_ && !ended_) client_.TryCancel();
    ReleaseHold();
    absl::Status status;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(&done_));
      status = status_;
    }
    cancel_.Stop();
    if (ctx_.IsDone() && !status.ok()) return Cause(ctx_);
    return status;
  }

  void OnReadDone(bool ok) override { reads_.Complete(ok); }
  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    status_ = FromGrpcStatus(status);
    done_ = true;
  }

  // Only Open() can make the key: streams are made through it.
  class Key {
    friend class ClientStreamReader;
    Key() = default;
  };
  ClientStreamReader(Key, const Context& ctx) : ctx_(ctx) {}

 private:
  void ReleaseHold() {
    if (!held_) return;
    held_ = false;
    this->RemoveHold();
  }

  Context ctx_;
  grpc::ClientContext client_;
  StreamFlow reads_;
  AfterFuncHandle cancel_;
  bool started_ = false;
  bool ended_ = false;
  bool held_ = false;
  // A read is started ahead of the next Read().
  bool reading_ = false;
  Response buffer_;
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_CLIENT_STREAM_H_
