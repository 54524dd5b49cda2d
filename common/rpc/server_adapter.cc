#include "common/rpc/server_adapter.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/incoming_call.h"

namespace baton::rpc {

// One unary call: gRPC's reactor and the worker pool's item. It owns itself from
// StartUnary until both gRPC's OnDone and its own Finish are done with it.
class UnaryCall final : public grpc::ServerUnaryReactor, public QueuedWork {
 public:
  UnaryCall(ServerAdapter* adapter, grpc::CallbackServerContext* call, std::string_view method,
            const void* request, void* response, ServerAdapter::Body body,
            ServerAdapter::AsyncBody async_body)
      : incoming_(adapter, call, method),
        request_(request),
        response_(response),
        body_(std::move(body)),
        async_body_(std::move(async_body)) {}

  void Start(const MethodOptions& options) {
    if (std::optional<IncomingCall::Refusal> refusal = incoming_.Arrive(options)) {
      Finish(refusal->status, refusal->reason);
      return;
    }
    if (options.run_inline) {
      Run();
      return;
    }
    if (std::optional<IncomingCall::Refusal> refusal = incoming_.Queue(this, /*stream=*/false)) {
      Finish(refusal->status, refusal->reason);
    }
  }

  const Context& context() const override { return incoming_.context(); }
  std::string_view method() const { return incoming_.method(); }

  void Run() override {
    if (replied_) {
      // The reply of an asynchronous handler, sent here to run the after-hook.
      Finish(incoming_.AfterHandler(absl::OkStatus()), incoming_.admission());
      return;
    }
    if (async_body_) {
      RunAsync();
      return;
    }
    absl::Status status = incoming_.RunHandler(
        [this](const Context& ctx) { return std::move(body_)(ctx, request_, response_); });
    Finish(std::move(status), incoming_.admission());
  }

  // Reply's end: the handler's answer. The after-hook may block (a fault injection's
  // delay), so a reply from a thread that must not — gRPC's, completing an outbound
  // call — finishes on a worker, ahead of the queue.
  void Answer(absl::Status status) {
    if (incoming_.AfterHandlerMayBlock(status) && !WorkerPool::OnWorkerThread()) {
      replied_ = true;
      incoming_.FinishOnWorker(this);
      return;
    }
    Finish(incoming_.AfterHandler(std::move(status)), incoming_.admission());
  }

  void Drop(absl::Status why) override {
    if (replied_) {
      // The pool stopped before the after-hook could run: the handler's work is done
      // and answered as it is.
      Finish(absl::OkStatus(), incoming_.admission());
      return;
    }
    const IncomingCall::Refusal dropped = incoming_.Dropped(why);
    Finish(dropped.status, dropped.reason);
  }

  void OnCancel() override { incoming_.OnCancel(); }

  // Whether gRPC may run a reaction on the thread that has it rather than hand it to
  // its executor (a thread wake per call, the adapter's largest cost over a bare
  // server, and on a cancel one more wake before the calls this one made are
  // cancelled). Both are cheap: OnCancel only cancels the Context, OnDone only lets go
  // of the call. Always, as gRPC's own default reactor: no reaction can run before gRPC
  // binds the reactor, which it does after StartUnary has returned it, and a reaction
  // that runs inline inside our own Finish finds the call held by Finish's party.
  bool InternalInlineable() override { return true; }

  void OnDone() override { Release(); }

 private:
  void RunAsync() {
    absl::Status status = incoming_.BeforeHandler();
    if (!status.ok()) {
      Answer(std::move(status));
      return;
    }
    // The handler may reply before it returns, and a reply can free this call: what
    // the handler runs on — its own state and its Context — must not live in it.
    ServerAdapter::AsyncBody body = std::move(async_body_);
    const Context ctx = incoming_.context();
    std::move(body)(ctx, request_, response_, Reply(this));
  }

  void Finish(const absl::Status& status, const std::string& admission) {
    grpc::Status final_status = incoming_.Conclude(status, admission);
    grpc::ServerUnaryReactor::Finish(std::move(final_status));
    Release();
  }

  // Two parties let go of the call: gRPC's OnDone, and the Finish above once it has
  // returned. OnDone may run on gRPC's thread while Finish is still returning on ours;
  // whichever comes second frees the call.
  void Release() {
    if (parties_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::unique_ptr<UnaryCall> self(this);
    }
  }

  std::atomic<int> parties_{2};
  IncomingCall incoming_;
  const void* const request_;
  void* const response_;
  ServerAdapter::Body body_;
  ServerAdapter::AsyncBody async_body_;  // Instead of body_, for UnaryAsync.
  // An OK reply from async_body_ waits in the pool to finish (Answer).
  bool replied_ = false;
};

Reply::~Reply() {
  if (call_ == nullptr) return;
  std::move(*this)(absl::InternalError(
      absl::StrCat("the handler of ", absl::string_view(call_->method().data(), call_->method().size()),
                   " returned without answering")));
}

void Reply::operator()(absl::Status status) && {
  UnaryCall* call = std::exchange(call_, nullptr);
  if (call != nullptr) call->Answer(std::move(status));
}

ServerAdapter::ServerAdapter(Options options)
    : options_(std::move(options)),
      root_(WithCancelCause(Background())),
      stream_pool_(options_.streams),
      pool_(options_.pool) {}

ServerAdapter::~ServerAdapter() {
  // Whatever still runs — a handler, or an asynchronous one waiting on its Context —
  // is told to end. Then the pools: what waits is answered, what runs finishes. Then
  // calls answered from other threads (an asynchronous handler's reply on gRPC's
  // thread, or the timer's) may still be letting go of themselves, and touch this
  // adapter until their in-flight count is down.
  CancelInFlight(absl::UnavailableError("server shutting down"));
  stream_pool_.Stop();
  pool_.Stop();
  WaitForIdle(absl::InfiniteFuture());
}

grpc::ServerUnaryReactor* ServerAdapter::StartUnary(grpc::CallbackServerContext* call,
                                                    std::string_view method,
                                                    const MethodOptions& options,
                                                    const void* request, void* response,
                                                    Body body, AsyncBody async_body) {
  // Owned by gRPC from here until OnDone.
  UnaryCall* unary = std::make_unique<UnaryCall>(this, call, method, request, response,
                                                 std::move(body), std::move(async_body))
                         .release();
  unary->Start(options);
  return unary;
}

void ServerAdapter::StartDraining(absl::Status refusal) {
  if (drain_claimed_.exchange(true, std::memory_order_acq_rel)) return;
  drain_refusal_ = std::move(refusal);
  draining_.store(true, std::memory_order_release);
}

bool ServerAdapter::WaitForIdle(absl::Time deadline) const {
  // Only at shutdown: a short poll is simpler than a condition on every call's end.
  while (in_flight_.load(std::memory_order_acquire) > 0) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

void ServerAdapter::CancelInFlight(const absl::Status& cause) { root_.cancel.Cancel(cause); }

}  // namespace baton::rpc
