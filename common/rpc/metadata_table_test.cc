#include "common/rpc/metadata_table.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::rpc {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr char kTraceparent[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

RequestMetadata Parse(const std::map<std::string, std::string>& headers,
                      const MetadataPolicy& policy = {}) {
  return ParseIncoming(
      [&headers](std::string_view name) -> std::optional<std::string_view> {
        auto it = headers.find(std::string(name));
        if (it == headers.end()) return std::nullopt;
        return std::string_view(it->second);
      },
      policy);
}

std::map<std::string, std::string> ToMap(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  return {headers.begin(), headers.end()};
}

TEST(MetadataTable, TakesWellFormedHeaders) {
  RequestMetadata md = Parse({{"x-request-id", "req-42"},
                              {"traceparent", kTraceparent},
                              {"tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
                              {"baggage", "userId=alice,region=eu"},
                              {"x-ot-span-context", "AAECAwQFBgc="},
                              {"x-baton-identity", "user:alice"},
                              {"x-baton-tenant", "acme"},
                              {"x-baton-criticality", "SHEDDABLE"}});
  EXPECT_EQ(md.request_id, "req-42");
  EXPECT_FALSE(md.request_id_generated);
  EXPECT_EQ(md.trace.TraceIdHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(md.trace.SpanIdHex(), "00f067aa0ba902b7");  // This hop's own span.
  ASSERT_TRUE(md.parent_trace.has_value());
  EXPECT_EQ(md.parent_trace->SpanIdHex(), "00f067aa0ba902b7");
  EXPECT_EQ(md.tracestate, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  EXPECT_EQ(md.baggage, "userId=alice,region=eu");
  EXPECT_EQ(md.ot_span_context, "AAECAwQFBgc=");
  EXPECT_EQ(md.identity, "user:alice");
  EXPECT_EQ(md.tenant, "acme");
  EXPECT_EQ(md.criticality, Criticality::kSheddable);
  EXPECT_THAT(md.rejected, IsEmpty());
}

TEST(MetadataTable, NothingArrivesMeansNewIdsAndTrace) {
  RequestMetadata md = Parse({});
  EXPECT_TRUE(md.request_id_generated);
  EXPECT_EQ(md.request_id.size(), 36u);
  EXPECT_FALSE(md.parent_trace.has_value());
  EXPECT_TRUE(md.trace.sampled);
  EXPECT_EQ(md.criticality, Criticality::kCritical);
}

TEST(MetadataTable, MalformedValuesAreDroppedAndNamed) {
  RequestMetadata md = Parse({
      {"x-request-id", std::string(129, 'a')},        // oversized
      {"traceparent", "00-XYZ-00f067aa0ba902b7-01"},  // bad hex
      {"tracestate", std::string(600, 'a') + "=b"},   // oversized
      {"baggage", "no-equals-sign"},                  // not key=value
      {"x-ot-span-context", "not base64!"},           // bad base64
      {"x-baton-identity", "bad\x01identity"},        // control character
      {"x-baton-tenant", "acme corp"},                // space
      {"x-baton-criticality", "VERY_IMPORTANT"},      // unknown
  });
  EXPECT_TRUE(md.request_id_generated);
  EXPECT_FALSE(md.parent_trace.has_value());
  EXPECT_THAT(md.tracestate, IsEmpty());
  EXPECT_THAT(md.baggage, IsEmpty());
  EXPECT_THAT(md.ot_span_context, IsEmpty());
  EXPECT_THAT(md.identity, IsEmpty());
  EXPECT_THAT(md.tenant, IsEmpty());
  EXPECT_EQ(md.criticality, Criticality::kCritical);
  for (const char* header :
       {"x-request-id", "traceparent", "tracestate", "baggage", "x-ot-span-context",
        "x-baton-identity", "x-baton-tenant", "x-baton-criticality"}) {
    EXPECT_THAT(md.rejected, Contains(header));
  }
}

TEST(MetadataTable, TracestateNeedsAValidTraceparent) {
  RequestMetadata alone = Parse({{"tracestate", "congo=t61rcWkgMzE"}});
  EXPECT_THAT(alone.tracestate, IsEmpty());
  EXPECT_THAT(alone.rejected, Contains("tracestate"));
  RequestMetadata with_bad_parent =
      Parse({{"traceparent", "garbage"}, {"tracestate", "congo=t61rcWkgMzE"}});
  EXPECT_THAT(with_bad_parent.tracestate, IsEmpty());
}

TEST(MetadataTable, BadBase64Shapes) {
  for (const char* bad : {"abc", "ab=c", "a===", "====", "ab cd==="}) {
    EXPECT_THAT(Parse({{"x-ot-span-context", bad}}).ot_span_context, IsEmpty()) << bad;
  }
  EXPECT_EQ(Parse({{"x-ot-span-context", "YWJjZA=="}}).ot_span_context, "YWJjZA==");
}

TEST(MetadataTable, TooManyBaggageMembersIsDropped) {
  std::string baggage;
  for (int i = 0; i < 200; ++i) baggage += "k" + std::to_string(i) + "=v,";
  EXPECT_THAT(Parse({{"baggage", baggage}}).baggage, IsEmpty());
}

TEST(MetadataTable, B3IsUsedWhenNoTraceparent) {
  RequestMetadata md = Parse({{"b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1"}});
  EXPECT_TRUE(md.had_b3);
  EXPECT_EQ(md.trace.TraceIdHex(), "80f198ee56343ba864fe8b2a57d3eff7");
  RequestMetadata multi = Parse({{"x-b3-traceid", "463ac35c9f6413ad48485a3953bb6124"},
                                 {"x-b3-spanid", "a2fb4a1d1a96d312"},
                                 {"x-b3-sampled", "1"}});
  EXPECT_EQ(multi.trace.TraceIdHex(), "463ac35c9f6413ad48485a3953bb6124");
  // A lone sampling decision is valid B3 and is not "rejected".
  EXPECT_THAT(Parse({{"b3", "0"}}).rejected, IsEmpty());
}

TEST(MetadataTable, TraceparentWinsOverB3) {
  RequestMetadata md = Parse({{"traceparent", kTraceparent},
                              {"b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1"}});
  EXPECT_EQ(md.trace.TraceIdHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(MetadataTable, AllowlistCarriesExtrasButNotCredentials) {
  MetadataPolicy policy;
  policy.allowlist = {"x-feature-flag", "authorization", "x-api-key"};
  RequestMetadata md = Parse({{"x-feature-flag", "beta"},
                              {"authorization", "Bearer secret"},
                              {"x-api-key", "k"},
                              {"x-not-listed", "ignored"}},
                             policy);
  EXPECT_THAT(md.extra, Contains(Pair("x-feature-flag", "beta")));
  EXPECT_EQ(md.extra.size(), 1u);
  policy.forward_credentials = true;
  EXPECT_EQ(Parse({{"authorization", "Bearer secret"}}, policy).extra.size(), 1u);
}

TEST(MetadataTable, OutgoingCarriesTheTableAndNoCredentials) {
  MetadataPolicy policy;
  policy.allowlist = {"x-feature-flag"};
  RequestMetadata md = Parse({{"x-request-id", "req-1"},
                              {"traceparent", kTraceparent},
                              {"baggage", "a=b"},
                              {"x-baton-identity", "user:alice"},
                              {"x-baton-tenant", "acme"},
                              {"x-feature-flag", "beta"},
                              {"authorization", "Bearer secret"}},
                             policy);
  std::map<std::string, std::string> out = ToMap(OutgoingHeaders(md, md.trace, policy));
  EXPECT_EQ(out["x-request-id"], "req-1");
  EXPECT_EQ(out["traceparent"], FormatTraceparent(md.trace));
  EXPECT_EQ(out["baggage"], "a=b");
  EXPECT_EQ(out["x-baton-identity"], "user:alice");
  EXPECT_EQ(out["x-baton-tenant"], "acme");
  EXPECT_EQ(out["x-baton-criticality"], "CRITICAL");
  EXPECT_EQ(out["x-feature-flag"], "beta");
  EXPECT_EQ(out.count("authorization"), 0u);
  EXPECT_EQ(out.count("b3"), 0u);  // The caller did not speak B3.
}

TEST(MetadataTable, OutgoingB3KeepsTheParentLink) {
  RequestMetadata md = Parse(
      {{"x-b3-traceid", "463ac35c9f6413ad48485a3953bb6124"}, {"x-b3-spanid", "a2fb4a1d1a96d312"}});
  std::map<std::string, std::string> out = ToMap(OutgoingHeaders(md, md.trace, {}));
  EXPECT_EQ(out["x-b3-traceid"], "463ac35c9f6413ad48485a3953bb6124");
  EXPECT_EQ(out["x-b3-spanid"], md.trace.SpanIdHex());
  EXPECT_EQ(out["x-b3-parentspanid"], "a2fb4a1d1a96d312");
}

}  // namespace
}  // namespace baton::rpc

namespace baton::rpc {
namespace {

TEST(MetadataTableCloudTrace, StartsTheTraceAndTravelsWithThisHopsSpan) {
  const std::map<std::string, std::string> headers = {
      {"x-cloud-trace-context", "105445aa7843bc8bf206b12000100000/123;o=1"}};
  RequestMetadata md = ParseIncoming(
      [&](std::string_view name) -> std::optional<std::string_view> {
        auto it = headers.find(std::string(name));
        if (it == headers.end()) return std::nullopt;
        return std::string_view(it->second);
      },
      MetadataPolicy{});
  EXPECT_EQ(md.trace.TraceIdHex(), "105445aa7843bc8bf206b12000100000");
  ASSERT_TRUE(md.parent_trace.has_value());
  EXPECT_EQ(md.parent_trace->SpanIdHex(), "000000000000007b");
  std::string sent;
  for (const auto& [name, value] : OutgoingHeaders(md, md.trace, MetadataPolicy{})) {
    if (name == "x-cloud-trace-context") sent = value;
  }
  EXPECT_EQ(sent.substr(0, 33), "105445aa7843bc8bf206b12000100000/");
  EXPECT_NE(sent, "105445aa7843bc8bf206b12000100000/123;o=1");  // This hop's own span.
}

}  // namespace
}  // namespace baton::rpc
