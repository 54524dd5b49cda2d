#include "tests/testing/log_lines.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace baton::testing {

std::string LogLine(const std::string& log, const std::string& method,
                    const std::string& request_id) {
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, "\"method\":\"" + method + "\"") &&
        absl::StrContains(line, "\"request_id\":\"" + request_id + "\"")) {
      return std::string(line);
    }
  }
  return "";
}

std::string LogField(const std::string& line, const std::string& name) {
  const std::string key = "\"" + name + "\":";
  const size_t at = line.find(key);
  if (at == std::string::npos) return "";
  size_t begin = at + key.size();
  if (begin < line.size() && line[begin] == '"') {
    ++begin;
    return line.substr(begin, line.find('"', begin) - begin);
  }
  return line.substr(begin, line.find_first_of(",}", begin) - begin);
}

double DurationMs(const std::string& line) {
  double ms = 0;
  return absl::SimpleAtod(LogField(line, "duration_ms"), &ms) ? ms : -1;
}

std::optional<absl::Time> EndTime(const std::string& line) {
  absl::Time start;
  std::string error;
  const double ms = DurationMs(line);
  if (ms < 0 || !absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", LogField(line, "time"), &start, &error)) {
    return std::nullopt;
  }
  return start + absl::Microseconds(static_cast<int64_t>(ms * 1000));
}

}  // namespace baton::testing
