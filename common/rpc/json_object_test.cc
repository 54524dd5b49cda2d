#include "common/rpc/json_object.h"

#include <string>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace baton::rpc {
namespace {

TEST(FormatLogTime, MatchesRfc3339WithMicroseconds) {
  const absl::Time fixed = absl::FromUnixMicros(1795693156163289);
  EXPECT_EQ(FormatLogTime(fixed), "2026-11-26T11:39:16.163289Z");
  EXPECT_EQ(FormatLogTime(absl::UnixEpoch()), "1970-01-01T00:00:00.000000Z");
  const absl::Time now = absl::Now();
  EXPECT_EQ(FormatLogTime(now), absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", now, absl::UTCTimeZone()));
}

TEST(FormatLogTime, OutOfRangeYearsStillFormat) {
  EXPECT_FALSE(FormatLogTime(absl::InfinitePast()).empty());
  EXPECT_FALSE(FormatLogTime(absl::FromUnixSeconds(-62167219200 - 86400)).empty());  // Year -1.
}

TEST(JsonObject, NumbersHaveThreeDecimalsLikePrintf) {
  for (double value : {0.0, 1.0, 0.0005, 0.0004, 12.3456, -3.25, -0.5, 99999.9999, 1e12}) {
    JsonObject out;
    out.Add("v", value);
    EXPECT_EQ(out.Build(), absl::StrFormat("{\"v\":%.3f}", value)) << value;
  }
}

TEST(JsonObject, StringsAreEscapedAndFieldsKeepTheirOrder) {
  JsonObject out;
  out.Add("b", "say \"hi\"\n\x01").Add("a", int64_t{7}).Add("list", std::vector<std::string>{"x", "y"});
  EXPECT_EQ(out.Build(), "{\"b\":\"say \\\"hi\\\"\\n\\u0001\",\"a\":7,\"list\":[\"x\",\"y\"]}");
}

}  // namespace
}  // namespace baton::rpc
