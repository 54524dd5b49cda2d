#include "common/rpc/trace_context.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace baton::rpc {
namespace {

template <size_t N>
bool AllZero(const std::array<uint8_t, N>& bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

template <size_t N>
bool DecodeHex(std::string_view hex, std::array<uint8_t, N>& out) {
  if (hex.size() != 2 * N) return false;
  for (size_t i = 0; i < N; ++i) {
    const int hi = HexDigit(hex[2 * i]);
    const int lo = HexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

// Writes 2 * `count` lowercase hex digits to `out`.
void WriteHex(const uint8_t* bytes, size_t count, char* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < count; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
}

template <size_t N>
std::string EncodeHex(const std::array<uint8_t, N>& bytes) {
  std::string out(2 * N, '0');
  WriteHex(bytes.data(), N, out.data());
  return out;
}

// Ids need to be unique, not secret: one seeded generator per thread, no lock.
template <size_t N>
void FillRandom(std::array<uint8_t, N>& bytes) {
  thread_local absl::BitGen gen;
  do {
    for (size_t i = 0; i < N; i += 8) {
      const uint64_t word = absl::Uniform<uint64_t>(gen);
      std::memcpy(bytes.data() + i, &word, std::min<size_t>(8, N - i));
    }
  } while (AllZero(bytes));
}

bool TraceIdFromB3(std::string_view hex, std::array<uint8_t, 16>& out) {
  if (hex.size() == 16) {
    return DecodeHex(std::string("0000000000000000").append(hex), out);
  }
  return DecodeHex(hex, out);
}

std::optional<bool> B3Sampling(std::string_view value) {
  if (value == "1" || value == "d" || value == "true") return true;
  if (value == "0" || value == "false") return false;
  return std::nullopt;
}

}  // namespace

bool IsLowerHex(std::string_view value, size_t length) {
  return value.size() == length && !value.empty() &&
         std::all_of(value.begin(), value.end(), [](char c) { return HexDigit(c) >= 0; });
}

TraceContext TraceContext::NewRoot() {
  TraceContext trace;
  FillRandom(trace.trace_id);
  FillRandom(trace.span_id);
  trace.sampled = true;
  return trace;
}

TraceContext TraceContext::NewChild() const {
  TraceContext child = *this;
  FillRandom(child.span_id);
  return child;
}

std::string TraceContext::TraceIdHex() const { return EncodeHex(trace_id); }
std::string TraceContext::SpanIdHex() const { return EncodeHex(span_id); }

std::optional<TraceContext> ParseTraceparent(std::string_view value) {
  // version(2) - trace(32) - span(16) - flags(2) = 55 characters.
  if (value.size() < 55) return std::nullopt;
  const std::string_view version = value.substr(0, 2);
  if (!IsLowerHex(version, 2) || version == "ff") return std::nullopt;
  if (version == "00" && value.size() != 55) return std::nullopt;
  if (value.size() > 55 && value[55] != '-') return std::nullopt;
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return std::nullopt;
  TraceContext trace;
  std::array<uint8_t, 1> flags{};
  if (!DecodeHex(value.substr(3, 32), trace.trace_id) ||
      !DecodeHex(value.substr(36, 16), trace.span_id) || !DecodeHex(value.substr(53, 2), flags)) {
    return std::nullopt;
  }
  if (AllZero(trace.trace_id) || AllZero(trace.span_id)) return std::nullopt;
  trace.sampled = (flags[0] & 0x01) != 0;
  return trace;
}

std::string FormatTraceparent(const TraceContext& trace) {
  return absl::StrCat("00-", trace.TraceIdHex(), "-", trace.SpanIdHex(),
                      trace.sampled ? "-01" : "-00");
}

std::optional<TraceContext> ParseB3Single(std::string_view value) {
  if (value.size() > 128) return std::nullopt;
  std::vector<std::string_view> parts;
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(value.data(), value.size()), '-')) {
    parts.emplace_back(part.data(), part.size());
  }
  if (parts.size() < 2 || parts.size() > 4) return std::nullopt;
  TraceContext trace;
  if (!TraceIdFromB3(parts[0], trace.trace_id) || !DecodeHex(parts[1], trace.span_id)) {
    return std::nullopt;
  }
  if (AllZero(trace.trace_id) || AllZero(trace.span_id)) return std::nullopt;
  trace.sampled = true;  // B3: absent sampling means "decide downstream"; we sample.
  if (parts.size() >= 3) {
    std::optional<bool> sampled = B3Sampling(parts[2]);
    if (!sampled.has_value()) return std::nullopt;
    trace.sampled = *sampled;
  }
  if (parts.size() == 4) {
    std::array<uint8_t, 8> parent{};
    if (!DecodeHex(parts[3], parent)) return std::nullopt;
  }
  return trace;
}

std::optional<TraceContext> ParseB3Multi(std::string_view trace_id, std::string_view span_id,
                                         std::string_view sampled, std::string_view flags) {
  TraceContext trace;
  if (!TraceIdFromB3(trace_id, trace.trace_id) || !DecodeHex(span_id, trace.span_id)) {
    return std::nullopt;
  }
  if (AllZero(trace.trace_id) || AllZero(trace.span_id)) return std::nullopt;
  trace.sampled = true;
  if (!sampled.empty()) {
    std::optional<bool> parsed = B3Sampling(sampled);
    if (!parsed.has_value()) return std::nullopt;
    trace.sampled = *parsed;
  }
  if (flags == "1") trace.sampled = true;
  return trace;
}

std::string FormatB3Single(const TraceContext& trace, const TraceContext& parent) {
  return absl::StrCat(trace.TraceIdHex(), "-", trace.SpanIdHex(), trace.sampled ? "-1-" : "-0-",
                      parent.SpanIdHex());
}

std::optional<TraceContext> ParseCloudTrace(std::string_view value) {
  const size_t slash = value.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  TraceContext trace;
  const std::string_view trace_hex = value.substr(0, slash);
  std::string_view rest = value.substr(slash + 1);
  std::string_view options;
  if (const size_t semicolon = rest.find(';'); semicolon != std::string_view::npos) {
    options = rest.substr(semicolon + 1);
    rest = rest.substr(0, semicolon);
  }
  // Its trace ids are lowercase hex in practice, but Google's docs do not promise case.
  const std::string lower =
      absl::AsciiStrToLower(absl::string_view(trace_hex.data(), trace_hex.size()));
  if (!IsLowerHex(lower, 32) || !DecodeHex(lower, trace.trace_id)) return std::nullopt;
  uint64_t span = 0;
  if (rest.empty() || rest.size() > 20 ||
      !absl::SimpleAtoi(absl::string_view(rest.data(), rest.size()), &span) || span == 0) {
    return std::nullopt;
  }
  for (int i = 7; i >= 0; --i) {
    trace.span_id[i] = static_cast<uint8_t>(span & 0xff);
    span >>= 8;
  }
  if (AllZero(trace.trace_id)) return std::nullopt;
  if (options.empty()) {
    trace.sampled = true;
  } else if (options == "o=1") {
    trace.sampled = true;
  } else if (options == "o=0") {
    trace.sampled = false;
  } else {
    return std::nullopt;
  }
  return trace;
}

std::string FormatCloudTrace(const TraceContext& trace) {
  uint64_t span = 0;
  for (uint8_t byte : trace.span_id) span = (span << 8) | byte;
  return absl::StrCat(trace.TraceIdHex(), "/", span, trace.sampled ? ";o=1" : ";o=0");
}

std::string NewRequestId() {
  std::array<uint8_t, 16> bytes{};
  FillRandom(bytes);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;  // Version 4.
  bytes[8] = (bytes[8] & 0x3f) | 0x80;  // RFC 4122 variant.
  // 8-4-4-4-12 hex digits, written in place: one allocation per call that has no id.
  std::string id(36, '-');
  size_t byte = 0;
  size_t at = 0;
  for (size_t group : {4, 2, 2, 2, 6}) {
    WriteHex(bytes.data() + byte, group, id.data() + at);
    byte += group;
    at += 2 * group + 1;
  }
  return id;
}

}  // namespace baton::rpc
