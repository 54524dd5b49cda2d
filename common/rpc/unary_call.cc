#include "common/rpc/unary_call.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/server_adapter.h"

namespace baton::rpc {
namespace {

// UnaryCall::cancel_handoff_.
constexpr int kArrived = 1;
constexpr int kCancelled = 2;

}  // namespace

void ServedMethod::CountRunOnPoller(absl::Duration took) const {
  if (took > kQuickRun) {
    // Read first: a method that is never quick writes nothing, call after call.
    if (quick_runs.load(std::memory_order_relaxed) != 0) {
      quick_runs.store(0, std::memory_order_relaxed);
    }
  } else if (quick_runs.load(std::memory_order_relaxed) < kQuickRunsToHold) {
    quick_runs.fetch_add(1, std::memory_order_relaxed);
  }
}

UnaryCall::UnaryCall(ServerAdapter* adapter, const ServedMethod* method)
    : adapter_(adapter), method_(method) {
  server_context_.AsyncNotifyWhenDone(CallPoller::AsGrpcTag(&ended_));
}

UnaryCall::~UnaryCall() = default;

void UnaryCall::Await(std::unique_ptr<UnaryCall> call, grpc::ServerCompletionQueue* queue) {
  // Owned by its events from here.
  UnaryCall* requested = call.release();
  requested->IssueRequest(queue, CallPoller::AsGrpcTag(&requested->arrived_));
}

void UnaryCall::Arrived(bool ok) {
  if (!ok) {
    // No call came (the server is shutting down), and no other event will.
    std::unique_ptr<UnaryCall> self(this);
    return;
  }
  adapter_->RequestNext(*method_);
  incoming_.emplace(adapter_, &server_context_, method_->name);
  std::optional<IncomingCall::Refusal> refusal = incoming_->Arrive(method_->options);
  if (cancel_handoff_.exchange(kArrived, std::memory_order_acq_rel) == kCancelled) {
    incoming_->OnCancel();
  }
  if (refusal.has_value()) {
    Finish(refusal->status, refusal->reason);
    return;
  }
  if (context().IsDone()) {
    // The caller was gone before the call was taken from the queue: not run, as the
    // pool's queue does with such a call.
    Drop(Cause(context()));
    return;
  }
  ServerAdapter* const adapter = adapter_;  // Run() may free this call.
  if (CallPoller* poller = adapter->TryRunOnPoller()) {
    const ServedMethod& method = *method_;
    // A held reply must not wait behind a handler that may block.
    if (!method.ShownQuick() || incoming_->HasHandlerHooks()) CallPoller::SendHeldReplies();
    const absl::Time started = absl::Now();
    Run();
    method.CountRunOnPoller(absl::Now() - started);
    adapter->DoneRunningOnPoller(*poller);
    return;
  }
  if (std::optional<IncomingCall::Refusal> queued = incoming_->Queue(this, /*stream=*/false)) {
    Finish(queued->status, queued->reason);
  }
}

void UnaryCall::Ended(bool /*ok*/) {
  // Done: answered, or the caller gone (cancelled, connection lost, its deadline).
  if (server_context_.IsCancelled() &&
      cancel_handoff_.exchange(kCancelled, std::memory_order_acq_rel) == kArrived) {
    incoming_->OnCancel();
  }
  Release();
}

void UnaryCall::Finished(bool /*ok*/) { Release(); }

void UnaryCall::Run() {
  if (replied_) {
    // The reply of an asynchronous handler, sent here to run the after-hook.
    Finish(incoming_->AfterHandler(absl::OkStatus()), incoming_->admission());
    return;
  }
  if (method_->async_body) {
    RunAsync();
    return;
  }
  absl::Status status = incoming_->RunHandler(
      [this](const Context& ctx) { return method_->body(ctx, request(), response()); });
  Finish(std::move(status), incoming_->admission());
}

void UnaryCall::RunAsync() {
  absl::Status status = incoming_->BeforeHandler();
  if (!status.ok()) {
    Answer(std::move(status));
    return;
  }
  // The handler may reply before it returns, and a reply can free this call: what the
  // handler runs on — its Context — must not live in it (the handler is the method's).
  const Context ctx = incoming_->context();
  method_->async_body(ctx, request(), response(), Reply(this));
}

void UnaryCall::Answer(absl::Status status) {
  // The after-hook may block (a fault injection's delay): a reply from a thread that
  // must not — gRPC's, completing an outbound call — finishes on a worker, ahead of
  // the queue.
  if (incoming_->AfterHandlerMayBlock(status) && !WorkerPool::OnWorkerThread()) {
    replied_ = true;
    incoming_->FinishOnWorker(this);
    return;
  }
  Finish(incoming_->AfterHandler(std::move(status)), incoming_->admission());
}

void UnaryCall::Drop(absl::Status why) {
  if (replied_) {
    // The pool stopped before the after-hook could run: the handler's work is done and
    // answered as it is.
    Finish(absl::OkStatus(), incoming_->admission());
    return;
  }
  const IncomingCall::Refusal dropped = incoming_->Dropped(why);
  Finish(dropped.status, dropped.reason);
}

void UnaryCall::Finish(const absl::Status& status, const std::string& admission) {
  answer_ = incoming_->Conclude(status, admission);
  // Held only for a quick method, whose replies come fast enough to go together.
  if (!method_->ShownQuick() || !CallPoller::HoldReply(&send_)) SendAnswer(/*ok=*/true);
}

void UnaryCall::SendAnswer(bool /*ok*/) {
  if (!adapter_->StartOnQueue(
          [&](grpc::ServerCompletionQueue*) {
            SendFinish(answer_, CallPoller::AsGrpcTag(&finished_));
          })) {
    // The server is gone and its calls with it: no finish event will come.
    Release();
  }
  Release();
}

void UnaryCall::Release() {
  if (parties_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    std::unique_ptr<UnaryCall> self(this);
  }
}

Reply::~Reply() {
  if (call_ == nullptr) return;
  std::move(*this)(absl::InternalError(
      absl::StrCat("the handler of ", call_->method().name, " returned without answering")));
}

void Reply::operator()(absl::Status status) && {
  UnaryCall* call = std::exchange(call_, nullptr);
  if (call != nullptr) call->Answer(std::move(status));
}

}  // namespace baton::rpc
