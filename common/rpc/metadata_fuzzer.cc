// libFuzzer target: the metadata table and the trace-context parsers, fed arbitrary
// headers as a client could send them. Beyond "no crash, no sanitizer report", it
// checks the table's promise: whatever comes in, what goes out to the next hop is
// well-formed gRPC metadata (lowercase names, printable ASCII values), and a trace
// context that parses survives formatting and parsing again.
//
// Input: the first byte picks the policy (bit 0: edge); the rest is header lines,
// "name:value", separated by '\n'.
//
//   tools/fuzz.sh [seconds]     (builds with --config=fuzz, runs every fuzzer)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "common/rpc/metadata_table.h"
#include "common/rpc/request_metadata.h"
#include "common/rpc/trace_context.h"

namespace {

void Require(bool condition) {
  if (!condition) std::abort();
}

bool IsGoodName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

bool IsPrintable(std::string_view value) {
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

void CheckRoundTrip(std::string_view value) {
  if (auto trace = baton::rpc::ParseTraceparent(value)) {
    auto again = baton::rpc::ParseTraceparent(baton::rpc::FormatTraceparent(*trace));
    Require(again.has_value() && again->TraceIdHex() == trace->TraceIdHex() &&
            again->SpanIdHex() == trace->SpanIdHex());
  }
  if (auto trace = baton::rpc::ParseCloudTrace(value)) {
    auto again = baton::rpc::ParseCloudTrace(baton::rpc::FormatCloudTrace(*trace));
    Require(again.has_value() && again->TraceIdHex() == trace->TraceIdHex());
  }
  baton::rpc::ParseB3Single(value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::multimap<std::string, std::string> headers;
  size_t start = 0;
  while (start <= input.size()) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view line = input.substr(start, end - start);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      headers.emplace(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
      CheckRoundTrip(line.substr(colon + 1));
    }
    start = end + 1;
  }

  baton::rpc::MetadataPolicy policy;
  policy.edge = (data[0] & 1) != 0;
  policy.allowlist = {"x-extra", "x-tenant-region"};
  const auto lookup = [&headers](std::string_view name) -> std::optional<std::string_view> {
    auto it = headers.find(std::string(name));
    if (it == headers.end()) return std::nullopt;
    return std::string_view(it->second);
  };
  const baton::rpc::RequestMetadata metadata = baton::rpc::ParseIncoming(lookup, policy);
  for (const auto& [name, value] : baton::rpc::OutgoingHeaders(metadata, metadata.trace, policy)) {
    Require(IsGoodName(name));
    Require(IsPrintable(value));
    Require(!baton::rpc::IsCredentialHeader(name));
  }
  return 0;
}
