#include "common/rpc/client_call.h"

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
  return code == grpc::StatusCode::DEADLINE_EXCEEDED ||
         code == grpc::StatusCode::CANCELLED || code == grpc::StatusCode::UNAVAILABLE;
}

}  // namespace

struct PendingCall::Impl {
  grpc::ClientContext client;
  Context ctx;
  CancelHandle timeout;
  AfterFuncHandle cancel_on_done;
  CallState* state = nullptr;  // Kept alive by ctx.
  std::string target;
  std::string service;
  bool sent = false;
  // The deadline sent to the callee (ctx's minus the slack); InfiniteFuture if none.
  absl::Time outbound_deadline = absl::InfiniteFuture();
  bool settled = false;  // Touched only by the thread that owns the PendingCall.
  absl::Duration slack = absl::ZeroDuration();
  grpc::Status grpc_status;  // Written before `completing`.

  absl::Mutex mu;
  bool completing ABSL_GUARDED_BY(mu) = false;
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::Status result;  // Written before `completing`; read-only after.
  absl::AnyInvocable<void(const absl::Status&) &&> on_complete ABSL_GUARDED_BY(mu);

  void CompleteWith(absl::Status status) {
    absl::AnyInvocable<void(const absl::Status&) &&> callback;
    {
      absl::MutexLock lock(&mu);
      result = std::move(status);
      completing = true;
      callback = std::move(on_complete);
    }
    // `result` is final here except for one case Wait() settles: see Settle().
    if (callback) std::move(callback)(result);
    absl::MutexLock lock(&mu);
    done = true;
  }

  void OnGrpcDone(const grpc::Status& status) {
    if (state != nullptr) {
      const auto& trailers = client.GetServerTrailingMetadata();
      auto it = trailers.find(kBudgetTrailHeader);
      if (it != trailers.end()) {
        state->AppendDownstreamTrail(std::string_view(it->second.data(), it->second.size()));
      }
    }
    CompleteWith(Classify(status));
  }

  absl::Status Classify(const grpc::Status& status) {
    grpc_status = status;
    if (status.ok()) return absl::OkStatus();
    if (ctx.IsDone() && EndedByContext(status.error_code())) return Cause(ctx);
    return FromGrpcStatus(status);
  }

  // Run by Wait(), on the caller's thread. When the callee ran out of the deadline we
  // sent it (ours minus the slack), our own Context is at most `slack` from its
  // deadline: wait for it, so the status names which budget ran out and where.
  void Settle() {
    if (grpc_status.ok() || !EndedByContext(grpc_status.error_code())) return;
    if (!ctx.IsDone()) {
      if (grpc_status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) return;
      if (absl::Now() < outbound_deadline) return;  // The callee's own budget, not ours.
      if (!ctx.WaitUntil(ctx.Deadline() + absl::Milliseconds(50))) {
        result = absl::DeadlineExceededError(absl::StrFormat(
            "%s did not answer within the budget %s gave it: %s", target, service,
            grpc_status.error_message()));
        return;
      }
    }
    // Our Context ended the call (perhaps after the callback classified it): say why.
    result = Cause(ctx);
  }
};

PendingCall::PendingCall(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

PendingCall::~PendingCall() {
  if (impl_->sent) {
    impl_->client.TryCancel();  // Nobody is waiting for the answer any more.
    Wait().IgnoreError();
  }
}

std::unique_ptr<PendingCall> PendingCall::Start(const Context& ctx,
                                                const CallOptions& options,
                                                Starter starter) {
  auto impl = std::make_shared<Impl>();
  auto call = std::make_unique<PendingCall>(impl);
  impl->state = CallStateOf(ctx);
  const AdapterPolicy& policy = impl->state ? impl->state->policy() : DefaultPolicy();
  impl->target = options.target;
  impl->service = policy.service_name;

  if (ctx.IsDone()) {
    impl->CompleteWith(Cause(ctx));
    return call;
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
  const absl::Time deadline = impl->ctx.Deadline();
  if (deadline != absl::InfiniteFuture() && deadlines.enforcement != Enforcement::kOff) {
    const absl::Time outbound = deadline - deadlines.propagation_slack;
    const absl::Duration budget = outbound - absl::Now();
    if (budget < deadlines.min_outbound_budget &&
        deadlines.enforcement == Enforcement::kEnforce) {
      impl->CompleteWith(absl::DeadlineExceededError(absl::StrFormat(
          "%dms of budget left at %s for %s, below the %dms minimum; not sent",
          absl::ToInt64Milliseconds(budget), impl->service, impl->target,
          absl::ToInt64Milliseconds(deadlines.min_outbound_budget))));
      return call;
    }
    impl->client.set_deadline(absl::ToChronoTime(outbound));
    impl->client.AddMetadata(kBudgetHeader,
                             std::to_string(absl::ToInt64Microseconds(budget)));
    impl->outbound_deadline = outbound;
  } else if (options.timeout != absl::InfiniteDuration()) {
    impl->client.set_deadline(absl::ToChronoTime(deadline));
  }

  if (const RequestMetadata* metadata = MetadataOf(ctx)) {
    // This hop's own span is the parent of whatever the callee does.
    for (auto& [name, value] : OutgoingHeaders(*metadata, metadata->trace, policy.metadata)) {
      impl->client.AddMetadata(name, value);
    }
  } else {
    // Work that did not come from an RPC starts its own request and trace.
    RequestMetadata fresh;
    fresh.request_id = NewRequestId();
    fresh.trace = TraceContext::NewRoot();
    for (auto& [name, value] : OutgoingHeaders(fresh, fresh.trace, policy.metadata)) {
      impl->client.AddMetadata(name, value);
    }
  }

  Impl* raw = impl.get();
  impl->cancel_on_done = AfterFunc(impl->ctx, [raw] { raw->client.TryCancel(); });
  impl->sent = true;
  std::move(starter)(&impl->client,
                     [impl](grpc::Status status) { impl->OnGrpcDone(status); });
  return call;
}

absl::Status PendingCall::Wait() {
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->mu.Await(absl::Condition(&impl_->done));
  }
  // Waits out a TryCancel that may be running, so the ClientContext can go.
  impl_->cancel_on_done.Stop();
  if (!impl_->settled) {
    impl_->Settle();
    impl_->settled = true;
  }
  return impl_->result;
}

void PendingCall::OnComplete(absl::AnyInvocable<void(const absl::Status&) &&> on_done) {
  {
    absl::MutexLock lock(&impl_->mu);
    if (!impl_->completing) {
      impl_->on_complete = std::move(on_done);
      return;
    }
  }
  std::move(on_done)(impl_->result);
}

absl::Status Call(const Context& ctx, const CallOptions& options, Starter starter) {
  return PendingCall::Start(ctx, options, std::move(starter))->Wait();
}

absl::Status FanOut(const Context& ctx, std::vector<FanOutCall> calls) {
  auto [group, cancel] = WithCancelCause(ctx);
  absl::Mutex mu;
  int first_failure = -1;  // Index of the call that failed first.
  std::vector<std::unique_ptr<PendingCall>> pending;
  pending.reserve(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    pending.push_back(PendingCall::Start(group, calls[i].options, std::move(calls[i].start)));
    // Runs before the call counts as done, so before Wait() below returns.
    pending.back()->OnComplete(
        [&mu, &first_failure, &cancel = cancel, i](const absl::Status& s) {
          if (s.ok()) return;
          {
            absl::MutexLock lock(&mu);
            if (first_failure >= 0) return;
            first_failure = static_cast<int>(i);
          }
          cancel.Cancel(s);
        });
  }
  std::vector<absl::Status> results;
  results.reserve(pending.size());
  for (const std::unique_ptr<PendingCall>& call : pending) results.push_back(call->Wait());
  absl::MutexLock lock(&mu);
  return first_failure >= 0 ? results[first_failure] : absl::OkStatus();
}

}  // namespace baton::rpc
