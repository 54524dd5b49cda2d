#include "common/runtime/adapter_flags.h"

#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

ABSL_FLAG(std::string, service_name, "", "Name of this service in logs and budget trails.");
ABSL_FLAG(absl::Duration, default_deadline, absl::Seconds(10),
          "Deadline given to a call that arrives without one.");
ABSL_FLAG(absl::Duration, max_deadline, absl::Seconds(60),
          "Longest deadline a call may have here; longer ones are cut to it.");
ABSL_FLAG(baton::rpc::Enforcement, deadline_enforcement, baton::rpc::Enforcement::kEnforce,
          "enforce: reject what cannot finish; observe: only count and log it; off: "
          "no deadline admission or propagation.");
ABSL_FLAG(absl::Duration, propagation_slack, absl::Milliseconds(5),
          "Taken off the remaining budget on each outbound call.");
ABSL_FLAG(absl::Duration, min_outbound_budget, absl::Milliseconds(1),
          "An outbound call with less budget than this fails without being sent.");
ABSL_FLAG(int, worker_threads, 8,
          "Unary request handlers that may run at once (one more thread receives calls).");
ABSL_FLAG(int, stream_threads, 16,
          "Streams served at once: each open stream's handler holds one of these threads "
          "(as many more may wait for one; beyond that, RESOURCE_EXHAUSTED).");
ABSL_FLAG(int, queue_bound, 256,
          "Requests that may wait for a handler thread; beyond it: RESOURCE_EXHAUSTED.");
ABSL_FLAG(int, shed_threshold, 192,
          "Queue depth from which SHEDDABLE requests are refused before CRITICAL ones.");
ABSL_FLAG(bool, batch_scheduling, true,
          "Run unary handlers and the threads that receive unary calls under SCHED_BATCH: "
          "on a saturated CPU an arrival waits for the running handler's time slice "
          "instead of preempting it (more goodput under overload; arrivals and cancels "
          "seen up to a slice later while every CPU is busy).");
ABSL_FLAG(std::string, forward_headers, "",
          "Extra request headers to carry to every downstream call (comma-separated).");
ABSL_FLAG(bool, forward_credentials, false,
          "Let credential headers named in --forward_headers travel downstream.");

namespace baton::rpc {

bool AbslParseFlag(absl::string_view text, Enforcement* mode, std::string* error) {
  std::optional<Enforcement> parsed = ParseEnforcement(std::string_view(text.data(), text.size()));
  if (!parsed.has_value()) {
    *error = "must be one of enforce, observe, off";
    return false;
  }
  *mode = *parsed;
  return true;
}

std::string AbslUnparseFlag(Enforcement mode) { return EnforcementName(mode); }

}  // namespace baton::rpc

namespace baton::runtime {
namespace {

absl::Status Invalid(absl::string_view flag, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", why));
}

}  // namespace

absl::StatusOr<rpc::ServerAdapter::Options> AdapterOptionsFromFlags(
    std::string_view default_service_name) {
  rpc::ServerAdapter::Options options;
  rpc::AdapterPolicy& policy = options.policy;
  policy.service_name = absl::GetFlag(FLAGS_service_name);
  if (policy.service_name.empty()) policy.service_name = std::string(default_service_name);

  rpc::DeadlinePolicy& deadlines = policy.deadlines;
  deadlines.default_deadline = absl::GetFlag(FLAGS_default_deadline);
  deadlines.max_deadline = absl::GetFlag(FLAGS_max_deadline);
  deadlines.enforcement = absl::GetFlag(FLAGS_deadline_enforcement);
  deadlines.propagation_slack = absl::GetFlag(FLAGS_propagation_slack);
  deadlines.min_outbound_budget = absl::GetFlag(FLAGS_min_outbound_budget);
  if (deadlines.default_deadline <= absl::ZeroDuration()) {
    return Invalid("default_deadline", "must be positive");
  }
  if (deadlines.max_deadline < deadlines.default_deadline) {
    return Invalid("max_deadline", "must not be below --default_deadline");
  }
  if (deadlines.propagation_slack < absl::ZeroDuration()) {
    return Invalid("propagation_slack", "must not be negative");
  }
  if (deadlines.min_outbound_budget < absl::ZeroDuration()) {
    return Invalid("min_outbound_budget", "must not be negative");
  }

  const int threads = absl::GetFlag(FLAGS_worker_threads);
  const int bound = absl::GetFlag(FLAGS_queue_bound);
  const int shed = absl::GetFlag(FLAGS_shed_threshold);
  if (threads < 1 || threads > 4096) return Invalid("worker_threads", "must be 1..4096");
  if (bound < 0) return Invalid("queue_bound", "must not be negative");
  if (shed < 0 || shed > bound) {
    return Invalid("shed_threshold", "must be between 0 and --queue_bound");
  }
  const int streams = absl::GetFlag(FLAGS_stream_threads);
  if (streams < 1 || streams > 4096) return Invalid("stream_threads", "must be 1..4096");
  options.streams = {.threads = streams,
                     .queue_bound = static_cast<size_t>(streams),
                     .shed_threshold = static_cast<size_t>(streams) * 3 / 4};
  options.pool.threads = threads;
  options.pool.queue_bound = static_cast<size_t>(bound);
  options.pool.shed_threshold = static_cast<size_t>(shed);
  options.pool.batch_scheduling = absl::GetFlag(FLAGS_batch_scheduling);

  for (absl::string_view name :
       absl::StrSplit(absl::GetFlag(FLAGS_forward_headers), ',', absl::SkipWhitespace())) {
    std::string header = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
    if (header.empty() || header.front() == ':' || header.find(' ') != std::string::npos) {
      return Invalid("forward_headers", absl::StrCat("\"", name, "\" is not a header name"));
    }
    policy.metadata.allowlist.push_back(std::move(header));
  }
  policy.metadata.forward_credentials = absl::GetFlag(FLAGS_forward_credentials);
  return options;
}

}  // namespace baton::runtime
