// JsonObject: builds one flat JSON object for a log line, fields in insertion order.
// Strings are escaped so a line never breaks, whatever a header or message held.
//
// Thread safety: a value type; not for concurrent use.
#ifndef BATON_COMMON_RPC_JSON_OBJECT_H_
#define BATON_COMMON_RPC_JSON_OBJECT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

namespace baton::rpc {

class JsonObject {
 public:
  JsonObject& Add(std::string_view name, std::string_view value);
  JsonObject& Add(std::string_view name, const char* value) {
    return Add(name, std::string_view(value));
  }
  // Three decimals: enough for milliseconds to the microsecond.
  JsonObject& Add(std::string_view name, double value);
  JsonObject& Add(std::string_view name, int64_t value);
  JsonObject& Add(std::string_view name, const std::vector<std::string>& values);

  // The object, "{...}", without a newline.
  std::string Build() const { return body_ + "}"; }

 private:
  void Name(std::string_view name);
  std::string body_ = "{";
};

// RFC 3339 in UTC with microseconds: "2026-11-26T11:39:16.163289Z".
std::string FormatLogTime(absl::Time time);

// Writes `line` and a newline to stderr in one write(), so lines from concurrent
// threads never interleave.
void WriteLineToStderr(std::string line);

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_JSON_OBJECT_H_
