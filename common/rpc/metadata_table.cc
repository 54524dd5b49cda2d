#include "common/rpc/metadata_table.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace baton::rpc {
namespace {

constexpr size_t kMaxRequestId = 128;
constexpr size_t kMaxTracestate = 512;
constexpr size_t kMaxTracestateMembers = 32;
constexpr size_t kMaxBaggage = 8192;
constexpr size_t kMaxBaggageMembers = 180;
constexpr size_t kMaxOtSpanContext = 1024;
constexpr size_t kMaxIdentity = 256;
constexpr size_t kMaxTenant = 128;
constexpr size_t kMaxExtra = 1024;

// Debian's Abseil has its own string_view type, not std::string_view.
absl::string_view Absl(std::string_view v) { return absl::string_view(v.data(), v.size()); }

bool AllOf(std::string_view value, bool (*ok)(char)) {
  return std::all_of(value.begin(), value.end(), ok);
}

// Visible ASCII and space: what may travel in a header and a JSON log line alike.
bool Printable(char c) { return c >= 0x20 && c < 0x7f; }

bool ValidRequestId(std::string_view v) {
  return !v.empty() && v.size() <= kMaxRequestId && AllOf(v, [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("._:/+=-").find(c) != std::string_view::npos;
  });
}

bool ValidMemberList(std::string_view v, size_t max_bytes, size_t max_members) {
  if (v.empty() || v.size() > max_bytes || !AllOf(v, Printable)) return false;
  size_t members = 0;
  for (absl::string_view member : absl::StrSplit(Absl(v), ',')) {
    if (absl::StripAsciiWhitespace(member).empty()) continue;
    if (++members > max_members) return false;
    if (member.find('=') == absl::string_view::npos) return false;
  }
  return members > 0;
}

bool ValidBase64(std::string_view v) {
  if (v.empty() || v.size() > kMaxOtSpanContext || v.size() % 4 != 0) return false;
  const size_t pad = v.size() - v.find_last_not_of('=') - 1;
  if (pad > 2) return false;
  return AllOf(v.substr(0, v.size() - pad), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  });
}

bool ValidTenant(std::string_view v) {
  return !v.empty() && v.size() <= kMaxTenant && AllOf(v, [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

std::optional<Criticality> ParseCriticality(std::string_view v) {
  if (v == "CRITICAL_PLUS") return Criticality::kCriticalPlus;
  if (v == "CRITICAL") return Criticality::kCritical;
  if (v == "SHEDDABLE_PLUS") return Criticality::kSheddablePlus;
  if (v == "SHEDDABLE") return Criticality::kSheddable;
  return std::nullopt;
}

// Takes `header` into `field` if `valid`; records it as rejected otherwise.
template <typename Valid>
void TakeIf(HeaderLookup lookup, std::string_view header, Valid valid, std::string& field,
            std::vector<std::string>& rejected) {
  std::optional<std::string_view> value = lookup(header);
  if (!value.has_value()) return;
  if (valid(*value)) {
    field = std::string(*value);
  } else {
    rejected.emplace_back(header);
  }
}

void ParseTrace(HeaderLookup lookup, RequestMetadata& out) {
  std::optional<TraceContext> parent;
  if (std::optional<std::string_view> tp = lookup("traceparent")) {
    parent = ParseTraceparent(*tp);
    if (parent.has_value()) {
      out.had_traceparent = true;
    } else {
      out.rejected.emplace_back("traceparent");
    }
  }
  if (std::optional<std::string_view> b3 = lookup("b3")) {
    std::optional<TraceContext> from_b3 = ParseB3Single(*b3);
    if (from_b3.has_value()) {
      out.had_b3 = true;
      if (!parent.has_value()) parent = from_b3;
    } else if (*b3 != "0" && *b3 != "1" && *b3 != "d") {
      out.rejected.emplace_back("b3");
    }
  }
  std::optional<std::string_view> b3_trace = lookup("x-b3-traceid");
  std::optional<std::string_view> b3_span = lookup("x-b3-spanid");
  if (b3_trace.has_value() || b3_span.has_value()) {
    std::optional<TraceContext> from_b3 =
        ParseB3Multi(b3_trace.value_or(""), b3_span.value_or(""),
                     lookup("x-b3-sampled").value_or(""), lookup("x-b3-flags").value_or(""));
    if (from_b3.has_value()) {
      out.had_b3 = true;
      if (!parent.has_value()) parent = from_b3;
    } else {
      out.rejected.emplace_back("x-b3-traceid");
    }
  }
  if (std::optional<std::string_view> cloud = lookup("x-cloud-trace-context")) {
    std::optional<TraceContext> from_cloud = ParseCloudTrace(*cloud);
    if (from_cloud.has_value()) {
      out.had_cloud_trace = true;
      if (!parent.has_value()) parent = from_cloud;
    } else {
      out.rejected.emplace_back("x-cloud-trace-context");
    }
  }
  if (parent.has_value()) {
    out.parent_trace = parent;
    out.trace = parent->NewChild();
  } else {
    out.trace = TraceContext::NewRoot();
  }
}

}  // namespace

const char* CriticalityName(Criticality criticality) {
  switch (criticality) {
    case Criticality::kCriticalPlus:
      return "CRITICAL_PLUS";
    case Criticality::kCritical:
      return "CRITICAL";
    case Criticality::kSheddablePlus:
      return "SHEDDABLE_PLUS";
    case Criticality::kSheddable:
      return "SHEDDABLE";
  }
  return "CRITICAL";
}

bool IsCredentialHeader(std::string_view name) {
  return name == "authorization" || name == "x-api-key" || name == "cookie" ||
         name == "proxy-authorization";
}

bool IsInternalHeader(std::string_view name) {
  return name == kIdentityHeader || name == kTenantHeader;
}

RequestMetadata ParseIncoming(HeaderLookup incoming, const MetadataPolicy& policy) {
  RequestMetadata out;
  if (policy.edge) {
    for (const char* name : {kIdentityHeader, kTenantHeader}) {
      if (incoming(name).has_value()) out.rejected.push_back(absl::StrCat("stripped:", name));
    }
  }
  const auto edge_lookup = [incoming](std::string_view name) -> std::optional<std::string_view> {
    if (IsInternalHeader(name)) return std::nullopt;
    return incoming(name);
  };
  const HeaderLookup lookup = policy.edge ? HeaderLookup(edge_lookup) : incoming;
  TakeIf(lookup, kRequestIdHeader, ValidRequestId, out.request_id, out.rejected);
  if (out.request_id.empty()) {
    out.request_id = NewRequestId();
    out.request_id_generated = true;
  }
  ParseTrace(lookup, out);
  TakeIf(
      lookup, "tracestate",
      [](std::string_view v) { return ValidMemberList(v, kMaxTracestate, kMaxTracestateMembers); },
      out.tracestate, out.rejected);
  // W3C: tracestate belongs to the traceparent it came with; without a valid one it
  // would be attached to a trace it knows nothing of.
  if (!out.had_traceparent && !out.tracestate.empty()) {
    out.tracestate.clear();
    out.rejected.emplace_back("tracestate");
  }
  TakeIf(
      lookup, "baggage",
      [](std::string_view v) { return ValidMemberList(v, kMaxBaggage, kMaxBaggageMembers); },
      out.baggage, out.rejected);
  TakeIf(lookup, "x-ot-span-context", ValidBase64, out.ot_span_context, out.rejected);
  TakeIf(
      lookup, kIdentityHeader,
      [](std::string_view v) {
        return !v.empty() && v.size() <= kMaxIdentity && AllOf(v, Printable);
      },
      out.identity, out.rejected);
  TakeIf(lookup, kTenantHeader, ValidTenant, out.tenant, out.rejected);
  if (std::optional<std::string_view> c = lookup(kCriticalityHeader)) {
    std::optional<Criticality> parsed = ParseCriticality(*c);
    if (parsed.has_value()) {
      out.criticality = policy.edge ? std::min(*parsed, Criticality::kCritical) : *parsed;
    } else {
      out.rejected.emplace_back(kCriticalityHeader);
    }
  }
  if (policy.edge) {
    TakeIf(
        lookup, "x-api-key",
        [](std::string_view v) {
          return !v.empty() && v.size() <= kMaxIdentity && AllOf(v, Printable);
        },
        out.api_key, out.rejected);
  }
  for (const std::string& name : policy.allowlist) {
    if (IsCredentialHeader(name) && !policy.forward_credentials) continue;
    std::optional<std::string_view> value = lookup(name);
    if (!value.has_value()) continue;
    if (value->size() <= kMaxExtra && AllOf(*value, Printable)) {
      out.extra.emplace_back(name, std::string(*value));
    } else {
      out.rejected.push_back(name);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> OutgoingHeaders(const RequestMetadata& metadata,
                                                                 const TraceContext& span,
                                                                 const MetadataPolicy& policy) {
  std::vector<std::pair<std::string, std::string>> headers;
  headers.emplace_back(kRequestIdHeader, metadata.request_id);
  // W3C always (it is how a trace starts here); B3 too when the caller spoke B3.
  headers.emplace_back("traceparent", FormatTraceparent(span));
  if (!metadata.tracestate.empty()) headers.emplace_back("tracestate", metadata.tracestate);
  if (metadata.had_b3) {
    const TraceContext parent = metadata.parent_trace.value_or(span);
    headers.emplace_back("b3", FormatB3Single(span, parent));
    headers.emplace_back("x-b3-traceid", span.TraceIdHex());
    headers.emplace_back("x-b3-spanid", span.SpanIdHex());
    headers.emplace_back("x-b3-parentspanid", parent.SpanIdHex());
    headers.emplace_back("x-b3-sampled", span.sampled ? "1" : "0");
  }
  if (!metadata.baggage.empty()) headers.emplace_back("baggage", metadata.baggage);
  if (metadata.had_cloud_trace) {
    headers.emplace_back("x-cloud-trace-context", FormatCloudTrace(span));
  }
  if (!metadata.ot_span_context.empty()) {
    headers.emplace_back("x-ot-span-context", metadata.ot_span_context);
  }
  if (!metadata.identity.empty()) headers.emplace_back(kIdentityHeader, metadata.identity);
  if (!metadata.tenant.empty()) headers.emplace_back(kTenantHeader, metadata.tenant);
  headers.emplace_back(kCriticalityHeader, CriticalityName(metadata.criticality));
  for (const auto& [name, value] : metadata.extra) {
    if (IsCredentialHeader(name) && !policy.forward_credentials) continue;
    headers.emplace_back(name, value);
  }
  return headers;
}

}  // namespace baton::rpc
