#include "common/rpc/json_object.h"

#include <unistd.h>

#include <cmath>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

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

}  // namespace

void JsonObject::Name(std::string_view name) {
  if (body_.size() > 1) body_.push_back(',');
  AppendQuoted(body_, name);
  body_.push_back(':');
}

JsonObject& JsonObject::Add(std::string_view name, std::string_view value) {
  Name(name);
  AppendQuoted(body_, value);
  return *this;
}

JsonObject& JsonObject::Add(std::string_view name, double value) {
  Name(name);
  // "%.3f" by integer arithmetic: every request line carries two of these, and the
  // formatting library costs a microsecond or so each.
  const double thousandths = std::round(value * 1000);
  if (!(std::fabs(thousandths) < 9e15)) {  // Also NaN.
    absl::StrAppendFormat(&body_, "%.3f", value);
    return *this;
  }
  int64_t scaled = static_cast<int64_t>(thousandths);
  if (scaled < 0) {
    body_.push_back('-');
    scaled = -scaled;
  }
  const int64_t fraction = scaled % 1000;
  absl::StrAppend(&body_, scaled / 1000, ".");
  body_.push_back(static_cast<char>('0' + fraction / 100));
  body_.push_back(static_cast<char>('0' + fraction / 10 % 10));
  body_.push_back(static_cast<char>('0' + fraction % 10));
  return *this;
}

JsonObject& JsonObject::Add(std::string_view name, int64_t value) {
  Name(name);
  absl::StrAppend(&body_, value);
  return *this;
}

JsonObject& JsonObject::Add(std::string_view name, const std::vector<std::string>& values) {
  Name(name);
  body_.push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) body_.push_back(',');
    AppendQuoted(body_, values[i]);
  }
  body_.push_back(']');
  return *this;
}

std::string FormatLogTime(absl::Time time) {
  // By hand rather than absl::FormatTime (several times slower): one per request line.
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::CivilSecond second = absl::ToCivilSecond(time, utc);
  const int64_t micros =
      absl::ToInt64Microseconds(time - absl::FromCivil(second, utc)) % 1000000;
  if (second.year() < 0 || second.year() > 9999 || micros < 0) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, utc);
  }
  char out[] = "0000-00-00T00:00:00.000000Z";
  auto put = [&out](int at, int64_t value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10) out[at + i] = '0' + value % 10;
  };
  put(0, second.year(), 4);
  put(5, second.month(), 2);
  put(8, second.day(), 2);
  put(11, second.hour(), 2);
  put(14, second.minute(), 2);
  put(17, second.second(), 2);
  put(20, micros, 6);
  return std::string(out, sizeof(out) - 1);
}

void WriteLineToStderr(std::string line) {
  line.push_back('\n');
  [[maybe_unused]] ssize_t written = write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace baton::rpc
