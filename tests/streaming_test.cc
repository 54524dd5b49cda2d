// Streams through the suite: the gateway's WatchProduct relays inventory's WatchStock
// over an inner stream opened under the outer call's Context. Changes arrive as they
// commit; a caller that cancels or runs out of deadline ends the stream at every hop,
// promptly, leaving no thread or call behind.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/testing/time_scale.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/testing/log_lines.h"
#include "tests/testing/suite_test.h"

namespace baton::testing {
namespace {

using StreamingTest = SuiteTest;

// The process's threads by name (/proc/PID/task/*/comm).
std::map<std::string, int> ThreadNames(ChildProcess& process) {
  std::map<std::string, int> names;
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator(
           absl::StrCat("/proc/", process.pid(), "/task"), error)) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    ++names[name];
  }
  return names;
}

std::string Describe(const std::map<std::string, int>& names) {
  std::string out;
  for (const auto& [name, count] : names) absl::StrAppend(&out, name, "=", count, " ");
  return out;
}

// A reader's channel whose flow-control window stays at 64 KiB.
grpc::ChannelArguments FixedWindowArgs() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 * 1024);
  return args;
}

shop::v1::WatchProductRequest Watching(const std::string& sku) {
  shop::v1::WatchProductRequest request;
  request.set_sku(sku);
  return request;
}

TEST_F(StreamingTest, WatchProductSeesEachChangeOfWhatCanBeOrdered) {
  ASSERT_TRUE(suite().AddProduct("watch-tea", 100, 10).ok());
  auto call = suite().ShopCall(absl::Seconds(20));
  auto stream = suite().shop().WatchProduct(call.get(), Watching("watch-tea"));
  shop::v1::StockUpdate update;
  ASSERT_TRUE(stream->Read(&update));
  EXPECT_EQ(update.sku(), "watch-tea");
  EXPECT_EQ(update.available(), 10);

  ASSERT_TRUE(suite().SetStock("watch-tea", 7).ok());
  ASSERT_TRUE(stream->Read(&update));
  EXPECT_EQ(update.available(), 7);

  auto order_call = suite().ShopCall(absl::Seconds(10));
  orders::v1::Order order;
  ASSERT_TRUE(suite()
                  .shop()
                  .PlaceOrder(order_call.get(), OrderOf("watcher", {{"watch-tea", 2}}), &order)
                  .ok());
  ASSERT_TRUE(stream->Read(&update));
  EXPECT_EQ(update.available(), 5);
  call->TryCancel();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(StreamingTest, CancelledWatchClosesTheInnerStreamAndLeavesNothingBehind) {
  ASSERT_TRUE(suite().AddProduct("cancel-watch", 100, 10).ok());
  const std::map<std::string, int> threads_before = ThreadNames(suite().process("inventory"));
  auto call = suite().ShopCall(absl::Seconds(30), {{"x-request-id", "cancel-watch-1"}});
  auto stream = suite().shop().WatchProduct(call.get(), Watching("cancel-watch"));
  shop::v1::StockUpdate update;
  ASSERT_TRUE(stream->Read(&update));
  ASSERT_TRUE(suite().AwaitMetricAtLeast("inventory", "baton_requests_in_flight", 1));

  const absl::Time cancelled = absl::Now();
  call->TryCancel();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  for (const auto& [service, method] : {std::pair<std::string, std::string>{"gateway", "WatchProduct"},
                                        {"inventory", "WatchStock"}}) {
    const std::string line = suite().AwaitLogLine(service, method, "cancel-watch-1");
    ASSERT_FALSE(line.empty()) << service;
    EXPECT_EQ(LogField(line, "code"), "CANCELLED") << line;
    std::optional<absl::Time> ended = EndTime(line);
    ASSERT_TRUE(ended.has_value()) << line;
    EXPECT_LT(*ended - cancelled, Scaled(absl::Milliseconds(100))) << line;
  }
  // Nothing left: no call in flight, no thread more than before. A call counts until
  // gRPC has released it, which may be just after its caller heard: so wait for both.
  EXPECT_TRUE(suite().AwaitMetricAtMost("inventory", "baton_requests_in_flight", 0));
  EXPECT_TRUE(suite().AwaitMetricAtMost("gateway", "baton_requests_in_flight", 0));
  EXPECT_TRUE(suite().AwaitMetricAtMost("inventory", "baton_streams_in_flight", 0));
  EXPECT_EQ(suite().Metric("inventory", "baton_requests_in_flight"), 0);
  EXPECT_EQ(suite().Metric("inventory", "baton_context_children"), 0);
  EXPECT_EQ(suite().Metric("gateway", "baton_requests_in_flight"), 0);
  EXPECT_EQ(suite().Metric("inventory", "baton_streams_in_flight"), 0);
  // Threads of ours are as many as before; gRPC's default executor and its timer
  // threads (both start threads on demand, whatever the program does) are left out.
  std::map<std::string, int> threads_after = ThreadNames(suite().process("inventory"));
  for (const auto& [name, count] : threads_after) {
    if (name == "default-executo" || name == "grpc_global_tim") continue;
    EXPECT_LE(count, threads_before.count(name) ? threads_before.at(name) : 0)
        << name << ": before " << Describe(threads_before) << "; after "
        << Describe(threads_after);
  }
}

TEST_F(StreamingTest, WatchDeadlineEndsTheStreamAtEveryHopNearIt) {
  ASSERT_TRUE(suite().AddProduct("deadline-watch", 100, 10).ok());
  const absl::Duration deadline = Scaled(absl::Milliseconds(200));
  auto call = suite().ShopCall(deadline, {{"x-request-id", "deadline-watch-1"}});
  const absl::Time start = absl::Now();
  auto stream = suite().shop().WatchProduct(call.get(), Watching("deadline-watch"));
  shop::v1::StockUpdate update;
  while (stream->Read(&update)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  const absl::Duration took = absl::Now() - start;
  EXPECT_GT(took, deadline - absl::Milliseconds(5));
  EXPECT_LT(took, deadline + Scaled(absl::Milliseconds(100)));
  for (const auto& [service, method] : {std::pair<std::string, std::string>{"gateway", "WatchProduct"},
                                        {"inventory", "WatchStock"}}) {
    const std::string line = suite().AwaitLogLine(service, method, "deadline-watch-1");
    ASSERT_FALSE(line.empty()) << service;
    EXPECT_EQ(LogField(line, "code"), "DEADLINE_EXCEEDED") << line;
    EXPECT_NE(LogField(line, "message").find("caller's deadline"), std::string::npos) << line;
    const double ms = DurationMs(line);
    EXPECT_GT(ms, absl::ToDoubleMilliseconds(deadline) - 30) << line;
    EXPECT_LT(ms, absl::ToDoubleMilliseconds(deadline + Scaled(absl::Milliseconds(100)))) << line;
  }
}

bool Upsert(ShopSuite& suite, const std::string& sku, const std::string& category) {
  catalog::v1::UpsertProductRequest request;
  request.mutable_product()->set_sku(sku);
  request.mutable_product()->set_name("Streamed " + sku);
  request.mutable_product()->set_category(category);
  request.mutable_product()->set_description(std::string(2000, 'd'));
  catalog::v1::Product product;
  grpc::ClientContext call;
  call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  return suite.catalog().UpsertProduct(&call, request, &product).ok();
}

TEST_F(StreamingTest, StreamProductsReadsEveryMatchInOrderFromACursor) {
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(Upsert(suite(), absl::StrCat("cursor-", 100 + i), "cursor-all"));
  }
  catalog::v1::StreamProductsRequest request;
  request.set_category("cursor-all");
  grpc::ClientContext call;
  call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  auto stream = suite().catalog().StreamProducts(&call, request);
  catalog::v1::Product product;
  int read = 0;
  while (stream->Read(&product)) {
    EXPECT_EQ(product.sku(), absl::StrCat("cursor-", 100 + read));
    ++read;
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(read, 30);
}

TEST_F(StreamingTest, CancelledProductStreamClosesItsCursor) {
  for (int i = 0; i < 400; ++i) {
    ASSERT_TRUE(Upsert(suite(), absl::StrCat("slow-", 1000 + i), "cursor-slow"));
  }
  // 400 products (~800 KB) outgrow this reader's window only if the window cannot grow:
  // with gRPC's bandwidth-delay probing a loopback reader may take them all unread.
  auto catalog = catalog::v1::CatalogService::NewStub(grpc::CreateCustomChannel(
      suite().address("catalog"), grpc::InsecureChannelCredentials(), FixedWindowArgs()));
  catalog::v1::StreamProductsRequest request;
  request.set_category("cursor-slow");
  grpc::ClientContext call;
  call.AddMetadata("x-request-id", "cancel-cursor-1");
  call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  auto stream = catalog->StreamProducts(&call, request);
  catalog::v1::Product product;
  ASSERT_TRUE(stream->Read(&product));
  // The reader stops; flow control holds the cursor open, part-way.
  ASSERT_TRUE(suite().AwaitMetricAtLeast("catalog", "baton_storage_cursors_open", 1));
  absl::SleepFor(absl::Milliseconds(50));
  ASSERT_EQ(suite().Metric("catalog", "baton_streams_in_flight"), 1)
      << "the stream ran to its end unread: the reader's window took it all";

  const absl::Time cancelled = absl::Now();
  call.TryCancel();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  const std::string line = suite().AwaitLogLine("catalog", "StreamProducts", "cancel-cursor-1");
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(LogField(line, "code"), "CANCELLED") << line;
  std::optional<absl::Time> ended = EndTime(line);
  ASSERT_TRUE(ended.has_value()) << line;
  EXPECT_LT(*ended - cancelled, Scaled(absl::Milliseconds(100))) << line;
  EXPECT_EQ(suite().Metric("catalog", "baton_storage_cursors_open"), 0);
  EXPECT_EQ(suite().Metric("catalog", "baton_streams_in_flight"), 0);
}

TEST_F(StreamingTest, WatchingAnInvalidSkuIsRefusedNamingTheField) {
  auto call = suite().ShopCall(absl::Seconds(5));
  auto stream = suite().shop().WatchProduct(call.get(), Watching("no spaces allowed"));
  shop::v1::StockUpdate update;
  EXPECT_FALSE(stream->Read(&update));
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("sku"), std::string::npos) << status.error_message();
}

}  // namespace
}  // namespace baton::testing
