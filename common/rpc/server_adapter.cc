#include "common/rpc/server_adapter.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/rpc/call_state.h"
#include "common/rpc/metadata_table.h"
#include "common/rpc/request_metadata.h"
#include "common/rpc/status.h"

namespace baton::rpc {
namespace {

constexpr char kEnvoyTimeoutHeader[] = "x-envoy-expected-rq-timeout-ms";

std::optional<std::string_view> FindHeader(
    const std::multimap<grpc::string_ref, grpc::string_ref>& headers, std::string_view name) {
  auto it = headers.find(grpc::string_ref(name.data(), name.size()));
  if (it == headers.end()) return std::nullopt;
  return std::string_view(it->second.data(), it->second.size());
}

std::optional<int64_t> ParsePositive(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) {
    return std::nullopt;
  }
  return value;
}

// How far a caller's real deadline may lie before the one we computed: grpc-timeout
// is rounded up (exact ms below 1 s, then 10 ms, 100 ms, 1 s steps), and the budget
// was measured before the request was sent and travelled. A cancel inside this window
// is taken as the caller's deadline: the last 10% of the budget, or one rounding step.
absl::Duration DeadlineUncertainty(absl::Duration budget) {
  absl::Duration step = absl::Milliseconds(1);
  if (budget >= absl::Seconds(1)) step = absl::Milliseconds(10);
  if (budget >= absl::Seconds(10)) step = absl::Milliseconds(100);
  if (budget >= absl::Seconds(100)) step = absl::Seconds(1);
  return std::max(step + absl::Milliseconds(1), budget / 10);
}

struct ArrivalDeadline {
  absl::Time deadline;
  const char* source;  // For RequestLog::deadline_source.
  absl::Status cause;  // Reported when it expires.
};

ArrivalDeadline ComputeDeadline(const grpc::CallbackServerContext& call,
                                const DeadlinePolicy& policy, std::string_view service,
                                absl::Time now) {
  ArrivalDeadline out{absl::InfiniteFuture(), "caller", absl::OkStatus()};
  const auto grpc_deadline = call.deadline();
  if (grpc_deadline != std::chrono::system_clock::time_point::max()) {
    out.deadline = absl::FromChrono(grpc_deadline);
  }
  if (out.deadline == absl::InfiniteFuture()) {
    out.deadline = now + policy.default_deadline;
    out.source = "default";
  }
  if (std::optional<std::string_view> exact = FindHeader(call.client_metadata(), kBudgetHeader)) {
    std::optional<int64_t> us = ParsePositive(*exact);
    if (us.has_value() && now + absl::Microseconds(*us) < out.deadline) {
      out.deadline = now + absl::Microseconds(*us);
      out.source = "caller";  // A Baton caller's exact budget.
    }
  }
  if (std::optional<std::string_view> envoy =
          FindHeader(call.client_metadata(), kEnvoyTimeoutHeader)) {
    std::optional<int64_t> ms = ParsePositive(*envoy);
    // Only ever shortens: a proxy's expectation never extends the caller's deadline.
    if (ms.has_value() && now + absl::Milliseconds(*ms) < out.deadline) {
      out.deadline = now + absl::Milliseconds(*ms);
      out.source = "envoy";
    }
  }
  if (out.deadline - now > policy.max_deadline) {
    out.deadline = now + policy.max_deadline;
    out.source = "capped";
  }
  const int64_t budget_ms = absl::ToInt64Milliseconds(out.deadline - now);
  const std::string_view source = out.source;
  std::string what;
  if (source == "caller") {
    what = absl::StrFormat("the caller's deadline (%dms left on arrival)", budget_ms);
  } else if (source == "default") {
    what = absl::StrFormat("%s's default deadline of %dms (the call had none)", service, budget_ms);
  } else if (source == "capped") {
    what = absl::StrFormat("%s's deadline cap of %dms", service, budget_ms);
  } else {
    what = absl::StrFormat("the proxy's expected timeout (%dms left on arrival)", budget_ms);
  }
  out.cause = absl::DeadlineExceededError(absl::StrFormat("%s expired at %s", what, service));
  return out;
}

}  // namespace

// One unary call: gRPC's reactor and the worker pool's item. It owns itself from
// StartUnary until gRPC calls OnDone.
class UnaryCall final : public grpc::ServerUnaryReactor, public QueuedWork {
 public:
  UnaryCall(ServerAdapter* adapter, grpc::CallbackServerContext* call, std::string_view method,
            ServerAdapter::Body body)
      : adapter_(adapter),
        call_(call),
        method_(method),
        body_(std::move(body)),
        start_(absl::Now()) {
    adapter_->in_flight_.fetch_add(1, std::memory_order_relaxed);
    adapter_->stats_.requests.fetch_add(1, std::memory_order_relaxed);
  }

  ~UnaryCall() override { adapter_->in_flight_.fetch_sub(1, std::memory_order_relaxed); }

  void Start(const MethodOptions& options) {
    const AdapterPolicy& policy = adapter_->options_.policy;
    const ArrivalDeadline arrival =
        ComputeDeadline(*call_, policy.deadlines, policy.service_name, start_);
    deadline_source_ = arrival.source;
    deadline_cause_ = arrival.cause;
    const auto& headers = call_->client_metadata();
    RequestMetadata metadata = ParseIncoming(
        [&headers](std::string_view name) { return FindHeader(headers, name); }, policy.metadata);
    criticality_ = metadata.criticality;
    budget_at_arrival_ = arrival.deadline - start_;
    call_state_ =
        std::make_shared<CallState>(&policy, budget_at_arrival_, arrival.deadline, arrival.cause);

    auto [cancellable, cancel] = WithCancelCause(adapter_->root_.context);
    cancel_ = std::move(cancel);
    auto [bounded, deadline] = WithDeadlineCause(cancellable, arrival.deadline, arrival.cause);
    deadline_ = std::move(deadline);
    ctx_ = WithValue(WithValue(bounded, kRequestMetadata, std::move(metadata)), kCallState,
                     call_state_);

    if (adapter_->draining_.load(std::memory_order_acquire)) {
      adapter_->stats_.refused_draining.fetch_add(1, std::memory_order_relaxed);
      Finish(adapter_->drain_refusal_, "draining");
      return;
    }
    if (!Admit(options)) return;
    if (options.run_inline) {
      Run();
      return;
    }
    switch (adapter_->pool_.Submit(this, criticality_)) {
      case WorkerPool::Admission::kQueued:
        return;
      case WorkerPool::Admission::kQueueFull:
        adapter_->stats_.queue_full.fetch_add(1, std::memory_order_relaxed);
        Finish(absl::ResourceExhaustedError(absl::StrFormat(
                   "%s is overloaded: its request queue is full", policy.service_name)),
               "queue_full");
        return;
      case WorkerPool::Admission::kShed:
        adapter_->stats_.shed.fetch_add(1, std::memory_order_relaxed);
        Finish(absl::ResourceExhaustedError(
                   absl::StrFormat("%s is overloaded: %s requests are shed", policy.service_name,
                                   CriticalityName(criticality_))),
               "shed");
        return;
    }
  }

  const Context& context() const override { return ctx_; }

  void Run() override {
    absl::Status status = absl::OkStatus();
    if (adapter_->options_.before_handler) {
      status = adapter_->options_.before_handler(ctx_, method_);
    }
    if (status.ok()) status = std::move(body_)(ctx_);
    if (status.ok() && adapter_->options_.after_handler) {
      status = adapter_->options_.after_handler(ctx_, method_);
    }
    if (absl::Now() > ctx_.Deadline()) {
      adapter_->stats_.work_after_deadline.fetch_add(1, std::memory_order_relaxed);
    }
    Finish(std::move(status), admission_);
  }

  void Drop(absl::Status why) override { Finish(std::move(why), "expired_in_queue"); }

  void OnCancel() override {
    const absl::Duration left = ctx_.Deadline() - absl::Now();
    if (left <= absl::ZeroDuration()) return;  // Our own timer reports the deadline.
    // A caller's stack cancels at its deadline, which can lie a little before ours
    // (grpc-timeout rounds up; the request took time to arrive): that cancel is the
    // deadline, and the Context stops now with the deadline as its cause.
    if (left <= DeadlineUncertainty(budget_at_arrival_)) {
      cancel_.Cancel(deadline_cause_);
      return;
    }
    cancel_.Cancel(absl::CancelledError(
        absl::StrFormat("cancelled by caller (at %s)", adapter_->options_.policy.service_name)));
  }

  void OnDone() override {
    // gRPC hands ownership back here; nothing touches this call afterwards.
    std::unique_ptr<UnaryCall> self(this);
  }

 private:
  // Returns whether the call may proceed; finishes it otherwise.
  bool Admit(const MethodOptions& options) {
    const AdapterPolicy& policy = adapter_->options_.policy;
    const Enforcement mode = policy.deadlines.enforcement;
    if (mode == Enforcement::kOff) return true;
    std::string reason;
    absl::Status rejection;
    if (budget_at_arrival_ <= absl::ZeroDuration()) {
      reason = "expired_on_arrival";
      rejection = absl::DeadlineExceededError(absl::StrFormat(
          "deadline already expired on arrival at %s; %s not run", policy.service_name, method_));
    } else if (budget_at_arrival_ < options.min_budget) {
      reason = "below_min_budget";
      rejection = absl::DeadlineExceededError(
          absl::StrFormat("%dms of budget left on arrival at %s, below the %dms %s needs; not run",
                          absl::ToInt64Milliseconds(budget_at_arrival_), policy.service_name,
                          absl::ToInt64Milliseconds(options.min_budget), method_));
    } else {
      return true;
    }
    if (mode == Enforcement::kObserve) {
      adapter_->stats_.observed_rejections.fetch_add(1, std::memory_order_relaxed);
      admission_ = "observe:" + reason;
      return true;
    }
    (reason == "expired_on_arrival" ? adapter_->stats_.expired_on_arrival
                                    : adapter_->stats_.below_min_budget)
        .fetch_add(1, std::memory_order_relaxed);
    Finish(std::move(rejection), reason);
    return false;
  }

  void Finish(absl::Status status, const std::string& admission) {
    const std::string trail = call_state_->Trail();
    call_->AddTrailingMetadata(kBudgetTrailHeader, trail);
    if (std::string_view(deadline_source_) == "caller" && status == deadline_cause_) {
      call_->AddTrailingMetadata(kExpiredHeader, "caller");
    }
    if (adapter_->options_.log_sink) Log(status, admission, trail);
    // The last touch: gRPC may call OnDone (and free this) as soon as it has it.
    grpc::ServerUnaryReactor::Finish(ToGrpcStatus(status));
  }

  void Log(const absl::Status& status, const std::string& admission, const std::string& trail) {
    RequestLog log;
    log.time = start_;
    log.service = adapter_->options_.policy.service_name;
    log.method = std::string(method_);
    log.code = absl::StatusCodeToString(status.code());
    log.message = std::string(status.message());
    log.duration = absl::Now() - start_;
    if (const RequestMetadata* metadata = MetadataOf(ctx_)) {
      log.request_id = metadata->request_id;
      log.trace_id = metadata->trace.TraceIdHex();
      log.span_id = metadata->trace.SpanIdHex();
      if (metadata->parent_trace.has_value()) {
        log.parent_span_id = metadata->parent_trace->SpanIdHex();
      }
      log.identity = metadata->identity;
      log.rejected_headers = metadata->rejected;
    }
    log.budget_at_arrival = budget_at_arrival_;
    log.deadline_source = deadline_source_;
    log.criticality = CriticalityName(criticality_);
    log.admission = admission;
    log.budget_trail = trail;
    adapter_->options_.log_sink(log);
  }

  ServerAdapter* const adapter_;
  grpc::CallbackServerContext* const call_;
  const std::string_view method_;
  ServerAdapter::Body body_;
  const absl::Time start_;
  const char* deadline_source_ = "caller";
  absl::Status deadline_cause_;
  absl::Duration budget_at_arrival_;
  Criticality criticality_ = Criticality::kCritical;
  std::string admission_ = "run";
  std::shared_ptr<CallState> call_state_;
  CancelCauseHandle cancel_;
  CancelHandle deadline_;
  Context ctx_;
};

ServerAdapter::ServerAdapter(Options options)
    : options_(std::move(options)), root_(WithCancelCause(Background())), pool_(options_.pool) {}

ServerAdapter::~ServerAdapter() = default;

grpc::ServerUnaryReactor* ServerAdapter::StartUnary(grpc::CallbackServerContext* call,
                                                    std::string_view method,
                                                    const MethodOptions& options, Body body) {
  // Owned by gRPC from here until OnDone.
  UnaryCall* unary = std::make_unique<UnaryCall>(this, call, method, std::move(body)).release();
  unary->Start(options);
  return unary;
}

void ServerAdapter::StartDraining(absl::Status refusal) {
  if (draining_.load(std::memory_order_acquire)) return;
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
