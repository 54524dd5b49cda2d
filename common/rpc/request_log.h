// RequestLog: the one structured line each RPC leaves behind.
//
// The server side of the adapter fills one per call when it finishes and hands it to
// the configured sink (by default: one JSON object per line on stderr). It holds no
// payloads and no credentials — only what the metadata table admitted.
//
// Thread safety: sinks are called from many threads at once and must be thread-safe.
#ifndef BATON_COMMON_RPC_REQUEST_LOG_H_
#define BATON_COMMON_RPC_REQUEST_LOG_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace baton::rpc {

struct RequestLog {
  // When the call arrived.
  absl::Time time;
  std::string service;
  std::string method;
  std::string code;  // "OK", "DEADLINE_EXCEEDED", ...
  std::string message;
  absl::Duration duration;
  std::string request_id;
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;
  // Remaining budget when the call arrived, after the default and the cap applied.
  absl::Duration budget_at_arrival;
  // Where the deadline came from: "caller", "default" (none arrived), "capped" (the
  // caller's was above the maximum) or "envoy" (x-envoy-expected-rq-timeout-ms).
  std::string deadline_source;
  std::string identity;
  std::string criticality;
  // Admission: "run", "expired_on_arrival", "below_min_budget", "shed", "queue_full",
  // "queue_behind", "expired_in_queue", "late_in_queue" (worker_pool.h); with an
  // "observe:" prefix when only observed.
  std::string admission;
  std::vector<std::string> rejected_headers;
  std::string budget_trail;
};

using RequestLogSink = std::function<void(const RequestLog&)>;

// One JSON object, no trailing newline.
std::string ToJson(const RequestLog& log);

// One line for people reading a terminal: "catalog GetProduct OK 1.2ms request_id=...".
std::string ToText(const RequestLog& log);

// Writes ToJson(log) (or ToText) and a newline to stderr in one write.
void LogToStderr(const RequestLog& log);
void LogTextToStderr(const RequestLog& log);

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_REQUEST_LOG_H_
