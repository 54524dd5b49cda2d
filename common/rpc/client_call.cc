#include "common/rpc/client_call.h"

#include <atomic>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/rpc/call_state.h"
#include "common/rpc/metadata_table.h"
#include "common/rpc/request_metadata.h"
#include "common/rpc/status.h"

namespace baton::rpc {
namespace {

const AdapterPolicy& DefaultPolicy() {
  static const AdapterPolicy& policy = *std::make_unique<AdapterPolicy>().release();
  return policy;
}

bool EndedByContext(grpc::StatusCode code) {
  // What callees and proxies answer when a call is cut short: its deadline, a cancel
  // (TryCancel reports CANCELLED), or a proxy giving up (UNAVAILABLE).
  return code == grpc::StatusCode::DEADLINE_EXCEEDED || code == grpc::StatusCode::CANCELLED ||
         code == grpc::StatusCode::UNAVAILABLE;
}

void AddPropagatedMetadata(const Context& ctx, const AdapterPolicy& policy,
                           grpc::ClientContext& client) {
  if (const RequestMetadata* metadata = MetadataOf(ctx)) {
    // This hop's own span is the parent of whatever the callee does.
    for (auto& [name, value] : OutgoingHeaders(*metadata, metadata->trace, policy.metadata)) {
      client.AddMetadata(name, value);
    }
    return;
  }
  // Work that did not come from an RPC starts its own request and trace.
  RequestMetadata fresh;
  fresh.request_id = NewRequestId();
  fresh.trace = TraceContext::NewRoot();
  for (auto& [name, value] : OutgoingHeaders(fresh, fresh.trace, policy.metadata)) {
    client.AddMetadata(name, value);
  }
}

}  // namespace

absl::Status PrepareOutbound(const Context& ctx, std::string_view target,
                             grpc::ClientContext& client) {
  const CallState* state = CallStateOf(ctx);
  const AdapterPolicy& policy = state ? state->policy() : DefaultPolicy();
  if (ctx.IsDone()) return Cause(ctx);
  const DeadlinePolicy& deadlines = policy.deadlines;
  if (deadlines.enforcement != Enforcement::kOff && ctx.Deadline() != absl::InfiniteFuture()) {
    const absl::Duration budget = ctx.Deadline() - deadlines.propagation_slack - absl::Now();
    if (budget < deadlines.min_outbound_budget && deadlines.enforcement == Enforcement::kEnforce) {
      return absl::DeadlineExceededError(
          absl::StrFormat("%dms of budget left at %s for %s, below the %dms minimum; not sent",
                          absl::ToInt64Milliseconds(budget), policy.service_name, target,
                          absl::ToInt64Milliseconds(deadlines.min_outbound_budget)));
    }
    // As for unary calls: the callee gets the slack-shortened budget exactly, the
    // transport our own deadline.
    client.set_deadline(absl::ToChronoTime(ctx.Deadline()));
    client.AddMetadata(kBudgetHeader, std::to_string(absl::ToInt64Microseconds(budget)));
  }
  AddPropagatedMetadata(ctx, policy, client);
  return absl::OkStatus();
}

struct PendingCall::Impl : std::enable_shared_from_this<PendingCall::Impl> {
  grpc::ClientContext client;
  Context ctx;
  CancelHandle timeout;
  AfterFuncHandle cancel_on_done;
  const CallState* state = nullptr;  // Kept alive by ctx.
  std::string target;
  std::string service;
  bool sent = false;
  // The deadline sent to the callee (ctx's minus the slack); InfiniteFuture if none.
  absl::Time outbound_deadline = absl::InfiniteFuture();
  bool settled = false;  // Touched only by the thread that owns the PendingCall.
  // Set in Classify (before `done`).
  absl::Time completed_at;
  bool ended_by_context = false;
  // The callee's DEADLINE_EXCEEDED came with x-baton-expired: caller.
  bool callee_says_our_deadline = false;
  // The Context whose deadline the outbound deadline came from, to settle against:
  // the per-call timeout's, or the caller's (null when there is no deadline).
  const Context* deadline_context = nullptr;
  // The caller's Context, kept apart from a per-call timeout child.
  Context caller;
  absl::Duration slack = absl::ZeroDuration();
  grpc::Status grpc_status;  // Written before `done`.

  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::Status result;  // Written before `done`; read-only after.
  // CallAsync's receiver (set before the call starts; null for Start), and its wait
  // for our own deadline (see CompleteAsync).
  OnCallDone async_done;
  AfterFuncHandle deadline_wait;
  std::atomic<bool> deadline_handoff{false};

  // `callback_ref`: the completion callback's reference, dropped before the waiter can
  // wake (the waiter holds its own until it has seen `done`). So the ClientContext —
  // and with it the channel — is never freed last on gRPC's thread: a channel released
  // there can tear down the completion queue that very thread is serving.
  void CompleteWith(absl::Status status, std::shared_ptr<Impl> callback_ref = nullptr) {
    if (async_done) {
      result = std::move(status);
      CompleteAsync(std::move(callback_ref));
      return;
    }
    absl::MutexLock lock(&mu);
    // `result` is final here except for one case Wait() settles: see TrySettle().
    result = std::move(status);
    done = true;
    callback_ref.reset();
  }

  void OnGrpcDone(const grpc::Status& status, std::shared_ptr<Impl> callback_ref) {
    const auto& trailers = client.GetServerTrailingMetadata();
    if (state != nullptr) {
      auto it = trailers.find(kBudgetTrailHeader);
      if (it != trailers.end()) {
        state->AppendDownstreamTrail(std::string_view(it->second.data(), it->second.size()));
      }
    }
    auto expired = trailers.find(kExpiredHeader);
    callee_says_our_deadline = expired != trailers.end() && expired->second == "caller" &&
                               status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
    CompleteWith(Classify(status), std::move(callback_ref));
  }

  absl::Status Classify(const grpc::Status& status) {
    grpc_status = status;
    completed_at = absl::Now();
    if (status.ok()) return absl::OkStatus();
    if (!EndedByContext(status.error_code())) return FromGrpcStatus(status);
    if (ctx.IsDone()) {
      ended_by_context = true;
      return Cause(ctx);
    }
    // Ended at (or, by gRPC's clock, a hair before) the deadline we sent: our budget,
    // settled in Wait(). gRPC converts the deadline to its monotonic clock and may
    // fire its timer up to a millisecond or so early by ours.
    // Or the callee said so: it answers a slack (or, deep in a chain, a few) early.
    ended_by_context =
        callee_says_our_deadline || completed_at + absl::Milliseconds(2) >= outbound_deadline;
    if (!ended_by_context && status.error_code() == grpc::StatusCode::CANCELLED) {
      // Not our cancel, not our deadline: the callee (or a proxy) cut the call off — a
      // server shutting down resets its streams. To our caller that is the callee being
      // unavailable, and worth a retry; CANCELLED would say *they* cancelled.
      return absl::UnavailableError(absl::StrCat(target, " cut the call off: ",
                                                 status.error_message()));
    }
    return FromGrpcStatus(status);
  }

  // Settles `result` once the call has completed (Wait, or CallAsync's completion).
  // When the call ended after the deadline we sent (ours minus the slack) —
  // DEADLINE_EXCEEDED, or the UNAVAILABLE / CANCELLED a proxy answers when it gives
  // up — our own Context is at most `slack` from its deadline, and the status should
  // name which budget ran out and where. Returns false when that means waiting for
  // `deadline_context` to end (SettleAfterWaiting, at most 50 ms past its deadline).
  bool TrySettle() {
    // Only what our Context (or the deadline sent with the call) ended; a failure
    // with budget left is the callee's, whatever happens to our Context later.
    if (!ended_by_context) return true;
    // The request's own deadline, propagated: its cause is known now. Answering at once
    // (a slack ahead of our own deadline) lets our caller hear why, and the trail,
    // before its own timer fires.
    if (deadline_context == &caller && state != nullptr && !caller.IsDone() &&
        caller.Deadline() == state->deadline()) {
      result = state->deadline_cause();
      return true;
    }
    if (deadline_context != nullptr && !deadline_context->IsDone()) return false;
    result = Cause(ctx);
    return true;
  }

  absl::Time GraceEnd() const { return deadline_context->Deadline() + absl::Milliseconds(50); }

  void SettleAfterWaiting(bool deadline_context_done) {
    result = deadline_context_done
                 ? Cause(*deadline_context)
                 : absl::DeadlineExceededError(
                       absl::StrFormat("%s did not answer within the budget %s gave it: %s",
                                       target, service, grpc_status.error_message()));
  }

  // The completion callback is done with them; gRPC may keep it (and so Impl) a little
  // longer, but the request's Context must not keep a per-call child.
  void LetGoOfContexts() {
    timeout = CancelHandle();
    deadline_context = nullptr;
    ctx = Context();
    caller = Context();
  }

  // CallAsync's end, on the thread that completed the call. `self`: the completion
  // callback's reference, or none when the call was never sent.
  void CompleteAsync(std::shared_ptr<Impl> self) {
    if (self == nullptr) self = shared_from_this();
    // Waits out a TryCancel running on another thread; inside our own AfterFunc (the
    // call completed within the TryCancel), returns at once.
    cancel_on_done.Stop();
    if (TrySettle()) {
      Deliver(std::move(self));
      return;
    }
    // Waits for our own deadline without holding a thread. It always comes: the
    // Context has one, a moment after the deadline we sent. The callback may run on
    // another thread before AfterFunc has returned here: of the two, whichever
    // finishes second — the callback, or this thread once the handle is stored —
    // delivers, so the call is never freed under either.
    std::shared_ptr<Impl> registering = self;
    const Context deadline = *deadline_context;
    deadline_wait = AfterFunc(deadline, [self = std::move(self)]() mutable {
      // Its reference goes with this call, whichever side delivers.
      std::shared_ptr<Impl> impl = std::move(self);
      if (impl->deadline_handoff.exchange(true, std::memory_order_acq_rel)) {
        DeliverAfterDeadline(std::move(impl));
      }
    });
    if (deadline_handoff.exchange(true, std::memory_order_acq_rel)) {
      // The callback came first: once it has returned, holding the call no more, this
      // thread's reference is the last.
      deadline_wait.Stop();
      DeliverAfterDeadline(std::move(registering));
    }
  }

  static void DeliverAfterDeadline(std::shared_ptr<Impl> self) {
    self->SettleAfterWaiting(/*deadline_context_done=*/true);
    Impl* impl = self.get();
    impl->Deliver(std::move(self));
  }

  // Lets go of the call — `self` is perhaps its last reference — and then hands its
  // status on. So nothing of the call, the ClientContext and its channel above all, is
  // left to be freed after the receiver has answered: once it has, the service that
  // owns the channel may be shutting down, and a channel released last on gRPC's
  // thread can tear down the completion queue that very thread is serving.
  void Deliver(std::shared_ptr<Impl> self) {
    OnCallDone receiver = std::move(async_done);
    absl::Status status = result;
    LetGoOfContexts();
    self.reset();  // `this` may be gone from here on.
    std::move(receiver)(std::move(status));
  }
};

PendingCall::PendingCall(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

PendingCall::~PendingCall() {
  if (impl_->sent) {
    impl_->client.TryCancel();  // Nobody is waiting for the answer any more.
    Wait().IgnoreError();
  }
}

namespace {

// Start's and CallAsync's common part: sends the call (or completes it at once).
// With `async_done`, the completion settles the status without blocking and hands it
// there (CompleteAsync); without, Wait() settles it.
std::shared_ptr<PendingCall::Impl> Launch(const Context& ctx, const CallOptions& options,
                                          Starter starter, OnCallDone async_done) {
  using Impl = PendingCall::Impl;
  auto impl = std::make_shared<Impl>();
  impl->async_done = std::move(async_done);
  impl->state = CallStateOf(ctx);
  const AdapterPolicy& policy = impl->state ? impl->state->policy() : DefaultPolicy();
  impl->target = options.target;
  impl->service = policy.service_name;

  if (ctx.IsDone()) {
    impl->CompleteWith(Cause(ctx));
    return impl;
  }
  impl->ctx = ctx;
  if (options.timeout != absl::InfiniteDuration()) {
    auto [bounded, handle] = WithTimeoutCause(
        ctx, options.timeout,
        absl::DeadlineExceededError(absl::StrFormat(
            "the per-call timeout of %dms for %s expired at %s",
            absl::ToInt64Milliseconds(options.timeout), impl->target, impl->service)));
    impl->ctx = std::move(bounded);
    impl->timeout = std::move(handle);
  }

  const DeadlinePolicy& deadlines = policy.deadlines;
  impl->caller = ctx;
  // min(the caller's deadline - slack, now + per-call timeout): the slack keeps the
  // callee's answer inside the caller's budget; a per-call timeout is ours to spend.
  absl::Time deadline = absl::InfiniteFuture();
  if (deadlines.enforcement != Enforcement::kOff && ctx.Deadline() != absl::InfiniteFuture()) {
    deadline = ctx.Deadline() - deadlines.propagation_slack;
    impl->deadline_context = &impl->caller;
  }
  if (options.timeout != absl::InfiniteDuration() && impl->ctx.Deadline() < deadline) {
    deadline = impl->ctx.Deadline();
    impl->deadline_context = &impl->ctx;
  }
  if (deadline != absl::InfiniteFuture() && deadlines.enforcement != Enforcement::kOff) {
    const absl::Time outbound = deadline;
    const absl::Duration budget = outbound - absl::Now();
    if (budget < deadlines.min_outbound_budget && deadlines.enforcement == Enforcement::kEnforce) {
      impl->CompleteWith(absl::DeadlineExceededError(
          absl::StrFormat("%dms of budget left at %s for %s, below the %dms minimum; not sent",
                          absl::ToInt64Milliseconds(budget), impl->service, impl->target,
                          absl::ToInt64Milliseconds(deadlines.min_outbound_budget))));
      return impl;
    }
    // The callee gets the exact, slack-shortened budget; gRPC's own timer is set at
    // our deadline (less a per-call timeout), so that the callee's answer — made a
    // slack before — arrives with its status and trail rather than losing the race
    // to our timer. Our Context cancels the call at our deadline in any case.
    const absl::Time transport =
        impl->deadline_context == &impl->caller ? ctx.Deadline() : outbound;
    impl->client.set_deadline(absl::ToChronoTime(transport));
    impl->client.AddMetadata(kBudgetHeader, std::to_string(absl::ToInt64Microseconds(budget)));
    impl->outbound_deadline = outbound;
  } else if (options.timeout != absl::InfiniteDuration()) {
    impl->client.set_deadline(absl::ToChronoTime(impl->ctx.Deadline()));
    impl->outbound_deadline = impl->ctx.Deadline();
    impl->deadline_context = &impl->ctx;
  }

  AddPropagatedMetadata(ctx, policy, impl->client);

  Impl* raw = impl.get();
  impl->cancel_on_done = AfterFunc(impl->ctx, [raw] { raw->client.TryCancel(); });
  impl->sent = true;
  std::move(starter)(&impl->client, [impl](grpc::Status status) mutable {
    Impl* raw = impl.get();
    raw->OnGrpcDone(status, std::move(impl));
  });
  return impl;
}

}  // namespace

std::unique_ptr<PendingCall> PendingCall::Start(const Context& ctx, const CallOptions& options,
                                                Starter starter) {
  return std::make_unique<PendingCall>(Launch(ctx, options, std::move(starter), nullptr));
}

absl::Status PendingCall::Wait() {
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->mu.Await(absl::Condition(&impl_->done));
  }
  // Waits out a TryCancel that may be running, so the ClientContext can go.
  impl_->cancel_on_done.Stop();
  if (!impl_->settled) {
    if (!impl_->TrySettle()) {
      impl_->SettleAfterWaiting(impl_->deadline_context->WaitUntil(impl_->GraceEnd()));
    }
    impl_->settled = true;
    impl_->LetGoOfContexts();
  }
  return impl_->result;
}

absl::Status Call(const Context& ctx, const CallOptions& options, Starter starter) {
  return PendingCall::Start(ctx, options, std::move(starter))->Wait();
}

void CallAsync(const Context& ctx, const CallOptions& options, Starter starter,
               OnCallDone on_done) {
  Launch(ctx, options, std::move(starter), std::move(on_done));
}

}  // namespace baton::rpc
