#include "common/rpc/incoming_call.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/rpc/metadata_table.h"
#include "common/rpc/server_adapter.h"
#include "common/rpc/status.h"

namespace baton::rpc {
namespace {

constexpr char kEnvoyTimeoutHeader[] = "x-envoy-expected-rq-timeout-ms";

// The call's headers as a flat list, for the table's lookups: some fifteen names per
// call, most of them absent. gRPC hands the headers over as a std::multimap, whose
// walk (or search) per name cost more than the rest of the table's work together; one
// walk here, and a lookup then compares only names of the right length.
class IncomingHeaders {
 public:
  explicit IncomingHeaders(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
    headers_.reserve(metadata.size());
    for (const auto& [key, value] : metadata) {
      headers_.emplace_back(std::string_view(key.data(), key.size()),
                            std::string_view(value.data(), value.size()));
      lengths_ |= LengthBit(key.size());
    }
  }

  // The first value of `name`, as the multimap's order keeps a repeated header's.
  std::optional<std::string_view> Find(std::string_view name) const {
    if ((lengths_ & LengthBit(name.size())) == 0) return std::nullopt;
    for (const auto& [key, value] : headers_) {
      if (key == name) return value;
    }
    return std::nullopt;
  }

 private:
  // Bit n for a name of n characters; names of 63 or more share the last bit.
  static uint64_t LengthBit(size_t length) { return uint64_t{1} << std::min<size_t>(length, 63); }

  absl::InlinedVector<std::pair<std::string_view, std::string_view>, 8> headers_;
  uint64_t lengths_ = 0;
};

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

// Where an incoming call's deadline came from. The number is the cause's source in
// DeadlineCauses.
enum class DeadlineSource { kCaller = 0, kDefault = 1, kCapped = 2, kEnvoy = 3 };
static_assert(DeadlineCauses::kSources == 4, "one cause source per DeadlineSource");

// RequestLog::deadline_source.
const char* SourceName(DeadlineSource source) {
  switch (source) {
    case DeadlineSource::kCaller:
      return "caller";
    case DeadlineSource::kDefault:
      return "default";
    case DeadlineSource::kCapped:
      return "capped";
    case DeadlineSource::kEnvoy:
      return "envoy";
  }
  return "caller";
}

struct ArrivalDeadline {
  absl::Time deadline;
  DeadlineSource source;
  absl::Status cause;  // Reported when it expires.
};

// The cause a deadline from `source` with `budget_ms` left reports when it expires.
absl::Status FormatCause(DeadlineSource source, int64_t budget_ms, std::string_view service) {
  // Formatted in place, so that it costs the Status's own two allocations and no more.
  char message[512];
  int length = 0;
  switch (source) {
    case DeadlineSource::kCaller:
      length = absl::SNPrintF(message, sizeof(message),
                              "the caller's deadline (%dms left on arrival) expired at %s",
                              budget_ms, service);
      break;
    case DeadlineSource::kDefault:
      length = absl::SNPrintF(message, sizeof(message),
                              "%s's default deadline of %dms (the call had none) expired at %s",
                              service, budget_ms, service);
      break;
    case DeadlineSource::kCapped:
      length = absl::SNPrintF(message, sizeof(message), "%s's deadline cap of %dms expired at %s",
                              service, budget_ms, service);
      break;
    case DeadlineSource::kEnvoy:
      length = absl::SNPrintF(message, sizeof(message),
                              "the proxy's expected timeout (%dms left on arrival) expired at %s",
                              budget_ms, service);
      break;
  }
  length = std::clamp(length, 0, static_cast<int>(sizeof(message)) - 1);
  return absl::DeadlineExceededError(absl::string_view(message, length));
}

ArrivalDeadline ComputeDeadline(const grpc::ServerContextBase& call,
                                const IncomingHeaders& headers, const DeadlinePolicy& policy,
                                std::string_view service, absl::Time now,
                                DeadlineCauses& causes) {
  ArrivalDeadline out{absl::InfiniteFuture(), DeadlineSource::kCaller, absl::OkStatus()};
  const auto grpc_deadline = call.deadline();
  if (grpc_deadline != std::chrono::system_clock::time_point::max()) {
    out.deadline = absl::FromChrono(grpc_deadline);
  }
  if (out.deadline == absl::InfiniteFuture()) {
    out.deadline = now + policy.default_deadline;
    out.source = DeadlineSource::kDefault;
  }
  if (std::optional<std::string_view> exact = headers.Find(kBudgetHeader)) {
    std::optional<int64_t> us = ParsePositive(*exact);
    if (us.has_value() && now + absl::Microseconds(*us) < out.deadline) {
      out.deadline = now + absl::Microseconds(*us);
      out.source = DeadlineSource::kCaller;  // A Baton caller's exact budget.
    }
  }
  if (std::optional<std::string_view> envoy = headers.Find(kEnvoyTimeoutHeader)) {
    std::optional<int64_t> ms = ParsePositive(*envoy);
    // Only ever shortens: a proxy's expectation never extends the caller's deadline.
    if (ms.has_value() && now + absl::Milliseconds(*ms) < out.deadline) {
      out.deadline = now + absl::Milliseconds(*ms);
      out.source = DeadlineSource::kEnvoy;
    }
  }
  if (out.deadline - now > policy.max_deadline) {
    out.deadline = now + policy.max_deadline;
    out.source = DeadlineSource::kCapped;
  }
  // Built on every call, read only when the deadline passes: shared with the calls
  // that arrived with the same budget.
  const int64_t budget_ms = absl::ToInt64Milliseconds(out.deadline - now);
  const DeadlineSource source = out.source;
  out.cause = causes.Get(static_cast<int>(source), budget_ms,
                         [&] { return FormatCause(source, budget_ms, service); });
  return out;
}

}  // namespace

IncomingCall::IncomingCall(ServerAdapter* adapter, grpc::ServerContextBase* call,
                           std::string_view method)
    : in_flight_(adapter->in_flight_),
      adapter_(adapter),
      call_(call),
      method_(method),
      start_(absl::Now()) {
  adapter_->stats_.requests.fetch_add(1, std::memory_order_relaxed);
}

std::optional<IncomingCall::Refusal> IncomingCall::Arrive(const MethodOptions& options) {
  const AdapterPolicy& policy = adapter_->options_.policy;
  const IncomingHeaders headers(call_->client_metadata());
  const ArrivalDeadline arrival = ComputeDeadline(*call_, headers, policy.deadlines,
                                                  policy.service_name, start_, adapter_->causes_);
  deadline_source_ = SourceName(arrival.source);
  callers_deadline_ = arrival.source == DeadlineSource::kCaller;
  deadline_cause_ = arrival.cause;
  RequestMetadata metadata = ParseIncoming(
      [&headers](std::string_view name) { return headers.Find(name); }, policy.metadata);
  criticality_ = metadata.criticality;
  budget_at_arrival_ = arrival.deadline - start_;

  auto [bounded, cancel] =
      WithDeadlineAndCancelCause(adapter_->root_.context, arrival.deadline, arrival.cause);
  cancel_ = std::move(cancel);
  ctx_ = WithValue(WithValue(bounded, kRequestMetadata, std::move(metadata)), kCallState,
                   CallState(&policy, budget_at_arrival_, arrival.deadline, arrival.cause));
  call_state_ = CallStateOf(ctx_);

  if (adapter_->draining_.load(std::memory_order_acquire)) {
    adapter_->stats_.refused_draining.fetch_add(1, std::memory_order_relaxed);
    return Refusal{adapter_->drain_refusal_, "draining"};
  }
  const Enforcement mode = policy.deadlines.enforcement;
  if (mode == Enforcement::kOff) return std::nullopt;
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
    return std::nullopt;
  }
  if (mode == Enforcement::kObserve) {
    adapter_->stats_.observed_rejections.fetch_add(1, std::memory_order_relaxed);
    admission_ = "observe:" + reason;
    return std::nullopt;
  }
  (reason == "expired_on_arrival" ? adapter_->stats_.expired_on_arrival
                                  : adapter_->stats_.below_min_budget)
      .fetch_add(1, std::memory_order_relaxed);
  return Refusal{std::move(rejection), std::move(reason)};
}

std::optional<IncomingCall::Refusal> IncomingCall::Queue(QueuedWork* work, bool stream) {
  const std::string& service = adapter_->options_.policy.service_name;
  WorkerPool& pool = stream ? adapter_->stream_pool_ : adapter_->pool_;
  switch (pool.Submit(work, criticality_)) {
    case WorkerPool::Admission::kQueued:
      return std::nullopt;
    case WorkerPool::Admission::kQueueFull:
      adapter_->stats_.queue_full.fetch_add(1, std::memory_order_relaxed);
      return Refusal{absl::ResourceExhaustedError(absl::StrFormat(
                         "%s is overloaded: its request queue is full", service)),
                     "queue_full"};
    case WorkerPool::Admission::kBehind:
      adapter_->stats_.queue_behind.fetch_add(1, std::memory_order_relaxed);
      return Refusal{absl::ResourceExhaustedError(absl::StrFormat(
                         "%s is overloaded: this request would wait in its queue over half "
                         "the budget it has left",
                         service)),
                     "queue_behind"};
    case WorkerPool::Admission::kShed:
      adapter_->stats_.shed.fetch_add(1, std::memory_order_relaxed);
      return Refusal{absl::ResourceExhaustedError(absl::StrFormat(
                         "%s is overloaded: %s requests are shed", service,
                         CriticalityName(criticality_))),
                     "shed"};
  }
  return std::nullopt;
}

IncomingCall::Refusal IncomingCall::Dropped(const absl::Status& why) const {
  if (why.code() != absl::StatusCode::kResourceExhausted) return Refusal{why, DropReason(why)};
  return Refusal{absl::ResourceExhaustedError(
                     absl::StrCat(adapter_->options_.policy.service_name, " is ", why.message())),
                 DropReason(why)};
}

absl::Status IncomingCall::RunHandler(absl::FunctionRef<absl::Status(const Context&)> handler) {
  absl::Status status = BeforeHandler();
  if (status.ok()) status = handler(ctx_);
  return AfterHandler(std::move(status));
}

absl::Status IncomingCall::BeforeHandler() {
  const ServerAdapter::Options& options = adapter_->options_;
  if (!options.before_handler) return absl::OkStatus();
  return options.before_handler(ctx_, method_);
}

bool IncomingCall::AfterHandlerMayBlock(const absl::Status& status) const {
  return status.ok() && adapter_->options_.after_handler != nullptr;
}

bool IncomingCall::HasHandlerHooks() const {
  const ServerAdapter::Options& options = adapter_->options_;
  return options.before_handler != nullptr || options.after_handler != nullptr;
}

void IncomingCall::FinishOnWorker(QueuedWork* work) { adapter_->pool_.Continue(work); }

absl::Status IncomingCall::AfterHandler(absl::Status status) {
  const ServerAdapter::Options& options = adapter_->options_;
  if (status.ok() && options.after_handler) status = options.after_handler(ctx_, method_);
  if (absl::Now() > ctx_.Deadline()) {
    adapter_->stats_.work_after_deadline.fetch_add(1, std::memory_order_relaxed);
  }
  return status;
}

void IncomingCall::OnCancel() {
  const absl::Duration left = ctx_.Deadline() - absl::Now();
  // At or past the deadline: the deadline's cause, now — our own timer may be a moment
  // behind gRPC's, and nothing that saw the call end may find the Context still live.
  if (left <= absl::ZeroDuration()) {
    cancel_.Cancel(deadline_cause_);
    return;
  }
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

grpc::Status IncomingCall::Conclude(const absl::Status& status, const std::string& admission) {
  // gRPC takes the name as a std::string: one made once, not one per call. Never
  // destroyed: a call may conclude while the process exits.
  static const std::string& kTrailName =
      *std::make_unique<const std::string>(kBudgetTrailHeader).release();
  const std::string trail = call_state_->Trail();
  call_->AddTrailingMetadata(kTrailName, trail);
  if (callers_deadline_ && status == deadline_cause_) {
    call_->AddTrailingMetadata(kExpiredHeader, "caller");
  }
  if (adapter_->options_.log_sink) Log(status, admission, trail);
  return ToGrpcStatus(status);
}

void IncomingCall::Log(const absl::Status& status, const std::string& admission,
                       const std::string& trail) {
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

}  // namespace baton::rpc
