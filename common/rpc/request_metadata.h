// RequestMetadata: what an incoming RPC's headers say about the request, as one typed
// Context value, and what travels on to every outbound call.
//
// The server side of the adapter builds it from the call's metadata through the
// metadata table (metadata_table.h), which documents each header; handlers read it with
// the accessors below and never see raw headers. The client side turns it back into
// headers for each outbound call (new span id, same trace).
//
// Thread safety: immutable once stored in a Context.
#ifndef BATON_COMMON_RPC_REQUEST_METADATA_H_
#define BATON_COMMON_RPC_REQUEST_METADATA_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/context/context.h"
#include "common/rpc/trace_context.h"

namespace baton::rpc {

// How much a request may be shed under load, lowest first (Google's scale).
enum class Criticality { kSheddable, kSheddablePlus, kCritical, kCriticalPlus };
const char* CriticalityName(Criticality criticality);

struct RequestMetadata {
  std::string request_id;
  // Whether request_id was generated here (absent or malformed on arrival).
  bool request_id_generated = false;
  // This hop's position in the trace: the caller's trace id and a span id of our own.
  TraceContext trace;
  // The caller's span (the parent of `trace`); unset when this hop started the trace.
  std::optional<TraceContext> parent_trace;
  // Which forms arrived; each is sent on in the same form.
  bool had_traceparent = false;
  bool had_b3 = false;
  bool had_cloud_trace = false;
  std::string tracestate;       // W3C tracestate, forwarded as is.
  std::string baggage;          // W3C baggage, forwarded as is.
  std::string ot_span_context;  // x-ot-span-context, forwarded as is.
  std::string identity;         // Authenticated caller, set by the gateway.
  std::string tenant;
  Criticality criticality = Criticality::kCritical;
  // Allowlisted extra headers, forwarded as is (lowercase names).
  std::vector<std::pair<std::string, std::string>> extra;
  // The x-api-key a client sent, taken in only at the edge (MetadataPolicy::edge) so
  // the gateway can authenticate the call. Never logged, never sent on: the gateway
  // replaces it with the identity it stands for.
  std::string api_key;
  // Headers that were present but dropped as malformed, for the request log.
  std::vector<std::string> rejected;
};

inline constexpr ContextKey<RequestMetadata> kRequestMetadata("baton.request_metadata");

// The request's metadata, or null outside an RPC (e.g. a background job).
inline const RequestMetadata* MetadataOf(const Context& ctx) { return ctx.Value(kRequestMetadata); }

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_REQUEST_METADATA_H_
