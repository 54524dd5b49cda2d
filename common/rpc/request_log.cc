#include "common/rpc/request_log.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/rpc/json_object.h"

namespace baton::rpc {

std::string ToJson(const RequestLog& log) {
  JsonObject out;
  out.Add("time", FormatLogTime(log.time))
      .Add("service", log.service)
      .Add("method", log.method)
      .Add("code", log.code);
  if (!log.message.empty()) out.Add("message", log.message);
  out.Add("duration_ms", absl::ToDoubleMilliseconds(log.duration))
      .Add("request_id", log.request_id)
      .Add("trace_id", log.trace_id)
      .Add("span_id", log.span_id);
  if (!log.parent_span_id.empty()) out.Add("parent_span_id", log.parent_span_id);
  out.Add("budget_at_arrival_ms", absl::ToDoubleMilliseconds(log.budget_at_arrival))
      .Add("deadline_source", log.deadline_source);
  if (!log.identity.empty()) out.Add("identity", log.identity);
  out.Add("criticality", log.criticality).Add("admission", log.admission);
  if (!log.rejected_headers.empty()) out.Add("rejected_headers", log.rejected_headers);
  if (!log.budget_trail.empty()) out.Add("budget_trail", log.budget_trail);
  return out.Build();
}

std::string ToText(const RequestLog& log) {
  std::string out = absl::StrFormat(
      "%s %s %s %s %.3fms request_id=%s trace_id=%s budget_at_arrival=%.3fms(%s) admission=%s",
      FormatLogTime(log.time), log.service, log.method, log.code,
      absl::ToDoubleMilliseconds(log.duration), log.request_id, log.trace_id,
      absl::ToDoubleMilliseconds(log.budget_at_arrival), log.deadline_source, log.admission);
  if (!log.identity.empty()) absl::StrAppend(&out, " identity=", log.identity);
  if (!log.budget_trail.empty()) absl::StrAppend(&out, " trail=", log.budget_trail);
  if (!log.rejected_headers.empty()) {
    absl::StrAppend(&out, " rejected=", absl::StrJoin(log.rejected_headers, ","));
  }
  if (!log.message.empty()) absl::StrAppend(&out, " message=\"", log.message, "\"");
  return out;
}

void LogToStderr(const RequestLog& log) { WriteLineToStderr(ToJson(log)); }

void LogTextToStderr(const RequestLog& log) { WriteLineToStderr(ToText(log)); }

}  // namespace baton::rpc
