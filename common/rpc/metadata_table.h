// The metadata table: how each header of an incoming RPC becomes part of the request's
// Context, and how it is sent on. One place, one policy per header:
//
// | header                          | in                                | malformed       | out                  |
// |---------------------------------|-----------------------------------|-----------------|----------------------|
// | x-request-id                    | request_id (1–128 of [A-Za-z0-9._:/+=-]) | replaced by a new UUID | same value      |
// | traceparent                     | trace + parent (W3C, strict)      | ignored         | same trace, this hop's span |
// | tracestate                      | forwarded with a valid traceparent (≤ 512 bytes, ≤ 32 members) | dropped | same value |
// | baggage                         | forwarded (≤ 8192 bytes, ≤ 180 members) | dropped   | same value           |
// | b3 / x-b3-traceid, -spanid, -sampled, -flags | trace (if no traceparent) | ignored | b3 + x-b3-*, this hop's span |
// | x-cloud-trace-context           | trace (if no traceparent or B3)   | ignored         | same trace, this hop's span |
// | x-ot-span-context               | forwarded (base64, ≤ 1024 bytes)  | dropped         | same value           |
// | x-baton-identity                | identity (≤ 256 printable)        | dropped         | same value           |
// | x-baton-tenant                  | tenant (≤ 128 of [A-Za-z0-9._-])  | dropped         | same value           |
// | x-baton-criticality             | CRITICAL_PLUS, CRITICAL, SHEDDABLE_PLUS, SHEDDABLE | CRITICAL | same value |
// | x-baton-fault                   | extra, when fault injection is on | dropped         | same value           |
// | allowlisted extra headers       | extra (≤ 1024 printable)          | dropped         | same value           |
// | x-api-key at the edge           | api_key, for the gateway to authenticate | dropped | never sent           |
// | authorization, x-api-key, cookie, proxy-authorization | never taken in | —  | never sent, unless the policy forwards credentials |
//
// Each hop takes a span id of its own (a child of the caller's), so span ids change
// hop by hop while the trace id stays. No trace context arrives → a new trace starts
// here. A header repeated takes its first
// value. Malformed values never reach a handler and never travel on; their names are
// listed in RequestMetadata::rejected for the request log. Nothing here can fail the
// RPC: a bad header costs the caller its own tracing, not its request.
//
// Thread safety: pure functions.
#ifndef BATON_COMMON_RPC_METADATA_TABLE_H_
#define BATON_COMMON_RPC_METADATA_TABLE_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "common/rpc/request_metadata.h"

namespace baton::rpc {

struct MetadataPolicy {
  // Extra headers to carry through (lowercase names).
  std::vector<std::string> allowlist;
  // Forward credential headers (authorization, x-api-key, ...) named in the allowlist.
  bool forward_credentials = false;
  // This hop is the public edge (the gateway): headers only Baton hops may set —
  // identity and tenant — are ignored when a client sends them (and listed in
  // RequestMetadata::rejected as "stripped:<name>"), and a client may lower its
  // criticality but not raise it above CRITICAL. (The exact budget, x-baton-budget-us,
  // is taken from anyone: it can only shorten a deadline.)
  bool edge = false;
};

// Finds the first value of a (lowercase) header, or nullopt. A reference to the
// caller's function, used only during ParseIncoming: some fifteen lookups per call,
// each without std::function's indirection.
using HeaderLookup = absl::FunctionRef<std::optional<std::string_view>(std::string_view)>;

RequestMetadata ParseIncoming(HeaderLookup lookup, const MetadataPolicy& policy);

// The headers an outbound call carries for `metadata`: the same trace, with `span`
// (normally metadata.trace, this hop's own span) as the callee's parent span.
std::vector<std::pair<std::string, std::string>> OutgoingHeaders(const RequestMetadata& metadata,
                                                                 const TraceContext& span,
                                                                 const MetadataPolicy& policy);

bool IsCredentialHeader(std::string_view name);
// Headers that only Baton hops may set; the edge ignores them from clients.
bool IsInternalHeader(std::string_view name);

// Header names of the table, for the gateway's strip list and for tests.
inline constexpr char kRequestIdHeader[] = "x-request-id";
inline constexpr char kIdentityHeader[] = "x-baton-identity";
inline constexpr char kTenantHeader[] = "x-baton-tenant";
inline constexpr char kCriticalityHeader[] = "x-baton-criticality";
inline constexpr char kBudgetTrailHeader[] = "x-baton-budget-trail";
// Trailer "caller" on a DEADLINE_EXCEEDED that the caller's own (propagated) deadline
// caused, so the caller reports its own deadline's cause — which budget, where it was
// set — rather than the hop where the time happened to run out.
inline constexpr char kExpiredHeader[] = "x-baton-expired";
// The exact remaining budget in microseconds when a Baton hop sent the call. gRPC's
// grpc-timeout rounds up (to 10 ms between 1 s and 10 s, coarser above), which would
// let a callee's deadline land after its caller's; a server takes the earlier of the
// two. It can only ever shorten a deadline, so a forged value harms only its sender.
inline constexpr char kBudgetHeader[] = "x-baton-budget-us";
// Fault injection (common/runtime/fault_injection.h): honoured, and carried on, only by
// services that enable it; otherwise never taken in.
inline constexpr char kFaultHeader[] = "x-baton-fault";

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_METADATA_TABLE_H_
