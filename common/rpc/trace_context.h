// TraceContext: a distributed-trace position (trace id, span id, sampling) and the
// text forms it travels in: W3C `traceparent` and B3 (multi-header and single `b3`).
//
// Parsing is strict (exact lengths, lowercase hex, no all-zero ids) and never throws:
// a malformed header yields std::nullopt and the caller decides what to do (the
// metadata table ignores it and starts a new trace).
//
// Thread safety: plain values; the id generator is thread-safe.
#ifndef BATON_COMMON_RPC_TRACE_CONTEXT_H_
#define BATON_COMMON_RPC_TRACE_CONTEXT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace baton::rpc {

struct TraceContext {
  std::array<uint8_t, 16> trace_id{};
  // The span of the caller: the parent of whatever this hop does.
  std::array<uint8_t, 8> span_id{};
  bool sampled = false;

  // A fresh trace: random ids, sampled.
  static TraceContext NewRoot();
  // The same trace with a new random span id (the child of this position).
  TraceContext NewChild() const;

  std::string TraceIdHex() const;
  std::string SpanIdHex() const;
};

// W3C Trace Context `traceparent`: "00-<32 hex>-<16 hex>-<2 hex>". Versions other than
// 00 are read by their first four fields, as the spec asks; version ff is invalid.
std::optional<TraceContext> ParseTraceparent(std::string_view value);
std::string FormatTraceparent(const TraceContext& trace);

// B3 single header: "<trace>-<span>[-<sampling>[-<parent>]]"; a 16-hex trace id is
// widened to 32 with leading zeros. A lone sampling flag ("0", "1", "d") carries no
// ids and parses to std::nullopt.
std::optional<TraceContext> ParseB3Single(std::string_view value);
// B3 multi-header: x-b3-traceid, x-b3-spanid, x-b3-sampled ("0"/"1"/"true"/"false";
// empty means unsampled), x-b3-flags ("1" means sampled).
std::optional<TraceContext> ParseB3Multi(std::string_view trace_id, std::string_view span_id,
                                         std::string_view sampled, std::string_view flags);
std::string FormatB3Single(const TraceContext& trace, const TraceContext& parent);

// Google Cloud's x-cloud-trace-context: "<32 hex trace>/<decimal span id>[;o=0|1]"
// (o=1: sampled). Span id 0 and out-of-range numbers are invalid.
std::optional<TraceContext> ParseCloudTrace(std::string_view value);
std::string FormatCloudTrace(const TraceContext& trace);

// Random 16-byte id as a lowercase UUIDv4 text, for request ids.
std::string NewRequestId();

// True if `value` is non-empty lowercase hex of exactly `length` characters.
bool IsLowerHex(std::string_view value, size_t length);

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_TRACE_CONTEXT_H_
