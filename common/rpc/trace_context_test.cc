#include "common/rpc/trace_context.h"

#include <cctype>
#include <set>
#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace baton::rpc {
namespace {

constexpr char kValid[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(Traceparent, RoundTrips) {
  std::optional<TraceContext> trace = ParseTraceparent(kValid);
  ASSERT_TRUE(trace.has_value());
  EXPECT_EQ(trace->TraceIdHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(trace->SpanIdHex(), "00f067aa0ba902b7");
  EXPECT_TRUE(trace->sampled);
  EXPECT_EQ(FormatTraceparent(*trace), kValid);
}

TEST(Traceparent, RejectsMalformed) {
  for (const char* bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",       // short
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",    // uppercase
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",    // bad hex
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",    // zero trace
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",    // zero span
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // version ff
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  // v00 extra
           "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",    // separators
           "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",   // v01 bad tail
       }) {
    EXPECT_FALSE(ParseTraceparent(bad).has_value()) << bad;
  }
}

TEST(Traceparent, FutureVersionReadsFirstFields) {
  EXPECT_TRUE(ParseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future")
                  .has_value());
}

TEST(Traceparent, OversizedIsRejected) {
  EXPECT_FALSE(ParseTraceparent(std::string(kValid) + std::string(100000, 'a')).has_value());
}

TEST(B3, SingleHeaderForms) {
  std::optional<TraceContext> full =
      ParseB3Single("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90");
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->SpanIdHex(), "e457b5a2e4d86bd1");
  std::optional<TraceContext> short_id = ParseB3Single("64fe8b2a57d3eff7-e457b5a2e4d86bd1-0");
  ASSERT_TRUE(short_id.has_value());
  EXPECT_EQ(short_id->TraceIdHex(), "000000000000000064fe8b2a57d3eff7");
  EXPECT_FALSE(short_id->sampled);
  for (const char* bad : {"1", "0", "d", "xyz", "80f198ee56343ba8-zz57b5a2e4d86bd1",
                          "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-7", "a-b-c-d-e"}) {
    EXPECT_FALSE(ParseB3Single(bad).has_value()) << bad;
  }
}

TEST(B3, MultiHeader) {
  std::optional<TraceContext> trace =
      ParseB3Multi("463ac35c9f6413ad48485a3953bb6124", "a2fb4a1d1a96d312", "1", "");
  ASSERT_TRUE(trace.has_value());
  EXPECT_TRUE(trace->sampled);
  EXPECT_FALSE(ParseB3Multi("463ac35c9f6413ad48485a3953bb6124", "", "1", "").has_value());
  EXPECT_FALSE(ParseB3Multi("463ac35c9f6413ad48485a3953bb6124", "a2fb4a1d1a96d312", "maybe", "")
                   .has_value());
}

TEST(Ids, NewChildKeepsTraceAndChangesSpan) {
  TraceContext root = TraceContext::NewRoot();
  TraceContext child = root.NewChild();
  EXPECT_EQ(child.trace_id, root.trace_id);
  EXPECT_NE(child.span_id, root.span_id);
}

TEST(Ids, RequestIdsAreUuidsAndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewRequestId();
    ASSERT_EQ(id.size(), 36u);
    for (size_t at = 0; at < id.size(); ++at) {
      if (at == 8 || at == 13 || at == 18 || at == 23) {
        ASSERT_EQ(id[at], '-') << id;
      } else {
        ASSERT_TRUE(std::isxdigit(static_cast<unsigned char>(id[at])) &&
                    !std::isupper(static_cast<unsigned char>(id[at])))
            << id;
      }
    }
    EXPECT_EQ(id[14], '4');  // Version 4.
    EXPECT_NE(std::string_view("89ab").find(id[19]), std::string_view::npos) << id;  // RFC 4122.
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

}  // namespace
}  // namespace baton::rpc

namespace baton::rpc {
namespace {

TEST(CloudTrace, ParsesAndFormats) {
  std::optional<TraceContext> trace = ParseCloudTrace("105445aa7843bc8bf206b12000100000/1;o=1");
  ASSERT_TRUE(trace.has_value());
  EXPECT_EQ(trace->TraceIdHex(), "105445aa7843bc8bf206b12000100000");
  EXPECT_EQ(trace->SpanIdHex(), "0000000000000001");
  EXPECT_TRUE(trace->sampled);
  EXPECT_EQ(FormatCloudTrace(*trace), "105445aa7843bc8bf206b12000100000/1;o=1");
  std::optional<TraceContext> unsampled =
      ParseCloudTrace("105445AA7843BC8BF206B12000100000/18446744073709551615;o=0");
  ASSERT_TRUE(unsampled.has_value());
  EXPECT_FALSE(unsampled->sampled);
  EXPECT_EQ(unsampled->SpanIdHex(), "ffffffffffffffff");
}

TEST(CloudTrace, RejectsMalformed) {
  for (const char* bad :
       {"", "nosla sh", "105445aa7843bc8bf206b12000100000/", "105445aa7843bc8bf206b12000100000/0",
        "105445aa7843bc8bf206b12000100000/18446744073709551616", "105445aa/1",
        "105445aa7843bc8bf206b12000100000/1;o=2", "00000000000000000000000000000000/1",
        "zz5445aa7843bc8bf206b12000100000/1"}) {
    EXPECT_FALSE(ParseCloudTrace(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace baton::rpc
