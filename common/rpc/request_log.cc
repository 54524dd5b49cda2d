#include "common/rpc/request_log.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace baton::rpc {
namespace {

void AppendQuoted(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void Field(std::string& out, std::string_view name, std::string_view value) {
  if (out.size() > 1) out.push_back(',');
  AppendQuoted(out, name);
  out.push_back(':');
  AppendQuoted(out, value);
}

void Field(std::string& out, std::string_view name, double value) {
  if (out.size() > 1) out.push_back(',');
  AppendQuoted(out, name);
  absl::StrAppendFormat(&out, ":%.3f", value);
}

}  // namespace

std::string ToJson(const RequestLog& log) {
  std::string out = "{";
  Field(out, "service", log.service);
  Field(out, "method", log.method);
  Field(out, "code", log.code);
  if (!log.message.empty()) Field(out, "message", log.message);
  Field(out, "duration_ms", absl::ToDoubleMilliseconds(log.duration));
  Field(out, "request_id", log.request_id);
  Field(out, "trace_id", log.trace_id);
  Field(out, "span_id", log.span_id);
  if (!log.parent_span_id.empty()) Field(out, "parent_span_id", log.parent_span_id);
  Field(out, "budget_at_arrival_ms", absl::ToDoubleMilliseconds(log.budget_at_arrival));
  Field(out, "deadline_source", log.deadline_source);
  if (!log.identity.empty()) Field(out, "identity", log.identity);
  Field(out, "criticality", log.criticality);
  Field(out, "admission", log.admission);
  if (!log.rejected_headers.empty()) {
    out += ",\"rejected_headers\":[";
    for (size_t i = 0; i < log.rejected_headers.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendQuoted(out, log.rejected_headers[i]);
    }
    out.push_back(']');
  }
  if (!log.budget_trail.empty()) Field(out, "budget_trail", log.budget_trail);
  out.push_back('}');
  return out;
}

void LogToStderr(const RequestLog& log) {
  std::string line = ToJson(log);
  line.push_back('\n');
  // One write, so lines from concurrent requests do not interleave.
  [[maybe_unused]] ssize_t written = write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace baton::rpc
