// Streams through the adapter, on loopback: every kind of streaming handler gets the
// request's Context; cancelling or a deadline ends the handler promptly at every hop;
// a write after the Context ended fails fast; a slow reader holds the writer back.
#include <memory>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "baton/testing/v1/stream.grpc.pb.h"
#include "common/context/context.h"
#include "common/rpc/client_stream.h"
#include "common/rpc/testing/stream_server.h"
#include "common/testing/time_scale.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"

namespace baton::rpc::testing {
namespace {

using ::baton::testing::Scaled;
using baton::testing::v1::CountRequest;
using baton::testing::v1::Number;
using baton::testing::v1::StreamService;

std::unique_ptr<StreamService::Stub> StubFor(const StreamServer& server) {
  return StreamService::NewStub(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
}

CountRequest Counting(int count, int interval_ms, int payload_bytes = 0) {
  CountRequest request;
  request.set_count(count);
  request.set_interval_ms(interval_ms);
  request.set_payload_bytes(payload_bytes);
  return request;
}

TEST(ServerStreamTest, ServerStreamSendsEverythingAndTheTrailCarriesTheBudget) {
  StreamServer server("counter");
  auto stub = StubFor(server);
  grpc::ClientContext call;
  call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  auto reader = stub->Count(&call, Counting(5, 0));
  Number number;
  int64_t expected = 0;
  while (reader->Read(&number)) EXPECT_EQ(number.value(), expected++);
  grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(expected, 5);
  auto trail = call.GetServerTrailingMetadata().find("x-baton-budget-trail");
  ASSERT_NE(trail, call.GetServerTrailingMetadata().end());
  EXPECT_EQ(std::string(trail->second.data(), trail->second.size()).rfind("counter=", 0), 0u);
}

TEST(ServerStreamTest, ClientStreamAndBidiStreamCarryTheContext) {
  StreamServer server("adder");
  auto stub = StubFor(server);
  {
    grpc::ClientContext call;
    call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    Number total;
    auto writer = stub->Sum(&call, &total);
    for (int i = 1; i <= 10; ++i) {
      Number number;
      number.set_value(i);
      ASSERT_TRUE(writer->Write(number));
    }
    writer->WritesDone();
    ASSERT_TRUE(writer->Finish().ok());
    EXPECT_EQ(total.value(), 55);
  }
  {
    grpc::ClientContext call;
    call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    auto stream = stub->Echo(&call);
    for (int i = 0; i < 3; ++i) {
      Number number;
      number.set_value(i * 7);
      ASSERT_TRUE(stream->Write(number));
      Number back;
      ASSERT_TRUE(stream->Read(&back));
      EXPECT_EQ(back.value(), i * 7);
    }
    // The caller gives up mid-stream: the handler's blocked read returns at once.
    const absl::Time cancelled = absl::Now();
    call.TryCancel();
    std::optional<StreamServer::HandlerEnd> end = server.WaitForEnd(2, absl::Seconds(10));
    ASSERT_TRUE(end.has_value());
    EXPECT_EQ(end->method, "Echo");
    EXPECT_EQ(end->status.code(), absl::StatusCode::kCancelled) << end->status;
    EXPECT_EQ(end->messages, 3);
    EXPECT_LT(end->ended - cancelled, Scaled(absl::Milliseconds(200)));
    stream->Finish().ok();
  }
}

TEST(ServerStreamTest, CancelledCallerEndsTheHandlerAndLaterWritesFailFast) {
  StreamServer server("counter");
  auto stub = StubFor(server);
  grpc::ClientContext call;
  call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  auto reader = stub->Count(&call, Counting(0, 1));
  Number number;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(reader->Read(&number));
  const absl::Time cancelled = absl::Now();
  call.TryCancel();
  std::optional<StreamServer::HandlerEnd> end = server.WaitForEnd(1, absl::Seconds(10));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status.code(), absl::StatusCode::kCancelled) << end->status;
  EXPECT_NE(end->status.message().find("cancelled by caller"), std::string::npos) << end->status;
  EXPECT_LT(end->ended - cancelled, Scaled(absl::Milliseconds(200)));
  ASSERT_TRUE(end->write_after_done.has_value());
  EXPECT_EQ(end->write_after_done->code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The handler's thread went back to the pool; nothing of the call is left.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (server.adapter().in_flight() > 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(server.adapter().in_flight(), 0);
}

TEST(ServerStreamTest, RelayedStreamEndsWhenTheInnerOneDoes) {
  StreamServer back("back");
  StreamServer front("front", back.address());
  auto stub = StubFor(front);
  grpc::ClientContext call;
  call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  const absl::Time start = absl::Now();
  auto reader = stub->Relay(&call, Counting(500, 0));
  Number number;
  int64_t expected = 0;
  while (reader->Read(&number)) EXPECT_EQ(number.value(), expected++);
  grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(expected, 500);
  // Ended by the inner stream's end, not by the deadline.
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(ServerStreamTest, DeadlineEndsTheStreamAtEveryHopNearIt) {
  StreamServer back("back");
  StreamServer front("front", back.address());
  auto stub = StubFor(front);
  const absl::Duration deadline = Scaled(absl::Milliseconds(200));
  grpc::ClientContext call;
  const absl::Time start = absl::Now();
  call.set_deadline(absl::ToChronoTime(start + deadline));
  auto reader = stub->Relay(&call, Counting(0, 5));
  Number number;
  int received = 0;
  while (reader->Read(&number)) ++received;
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_GT(received, 0);
  std::optional<StreamServer::HandlerEnd> back_end = back.WaitForEnd(1, absl::Seconds(10));
  std::optional<StreamServer::HandlerEnd> front_end = front.WaitForEnd(1, absl::Seconds(10));
  ASSERT_TRUE(back_end.has_value() && front_end.has_value());
  for (const auto* end : {&*back_end, &*front_end}) {
    EXPECT_EQ(end->status.code(), absl::StatusCode::kDeadlineExceeded)
        << end->method << ": " << end->status;
    EXPECT_GT(end->ended - start, deadline - Scaled(absl::Milliseconds(50))) << end->method;
    EXPECT_LT(end->ended - start, deadline + Scaled(absl::Milliseconds(100))) << end->method;
  }
}

TEST(ServerStreamTest, CancellingTheOuterStreamClosesTheInnerOne) {
  StreamServer back("back");
  StreamServer front("front", back.address());
  auto stub = StubFor(front);
  grpc::ClientContext call;
  call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  auto reader = stub->Relay(&call, Counting(0, 1));
  Number number;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(reader->Read(&number));
  const absl::Time cancelled = absl::Now();
  call.TryCancel();
  std::optional<StreamServer::HandlerEnd> inner = back.WaitForEnd(1, absl::Seconds(10));
  ASSERT_TRUE(inner.has_value());
  EXPECT_EQ(inner->status.code(), absl::StatusCode::kCancelled) << inner->status;
  EXPECT_LT(inner->ended - cancelled, Scaled(absl::Milliseconds(200)));
  reader->Finish().ok();
}

// A handler that fails while messages still wait for the transport: they are dropped,
// the caller gets the handler's status, and the call ends cleanly.
TEST(ServerStreamTest, AFailingHandlerEndsItsStreamWithMessagesStillQueued) {
  StreamServer server("producer");
  auto stub = StubFor(server);
  // A callback client: gRPC's synchronous one stalls on 64 KiB messages under TSan in a
  // process that also serves them, with or without a failing handler.
  for (int run = 0; run < 10; ++run) {
    DerivedContext<CancelHandle> ctx = WithTimeout(Background(), absl::Seconds(20));
    CountRequest request = Counting(0, 0, 64 << 10);
    request.set_fail_after(40);
    auto reader = ClientStreamReader<Number>::Open(
        ctx.context, "producer.Count",
        [&](grpc::ClientContext* call, grpc::ClientReadReactor<Number>* reactor) {
          stub->async()->Count(call, &request, reactor);
        });
    absl::SleepFor(absl::Milliseconds(20));  // Writes pile up while nobody reads.
    Number number;
    absl::StatusOr<bool> more;
    while ((more = reader->Read(number)).ok() && *more) {
    }
    absl::Status status = reader->Finish();
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (server.adapter().in_flight() > 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(server.adapter().in_flight(), 0);
}

TEST(ServerStreamTest, ASlowReaderHoldsTheWriterBack) {
  StreamServer server("producer");
  auto stub = StubFor(server);
  grpc::ClientContext call;
  call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  constexpr int kPayload = 64 << 10;
  auto reader = stub->Count(&call, Counting(0, 0, kPayload));
  Number number;
  ASSERT_TRUE(reader->Read(&number));
  // The reader stops; the producer may fill the transport's windows, then waits: its
  // count stops moving (checked for half a second at a time, for at most 20 s).
  int64_t stalled_at = -1;
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (server.written() != stalled_at && absl::Now() < give_up) {
    stalled_at = server.written();
    absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_EQ(server.written(), stalled_at) << "the writer kept going while nobody read";
  // What is in flight is bounded by flow control's windows, not by the producer.
  EXPECT_LT(stalled_at * kPayload, 32 << 20);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(reader->Read(&number));
  call.TryCancel();
  reader->Finish().ok();
  ASSERT_TRUE(server.WaitForEnd(1, absl::Seconds(10)).has_value());
}

}  // namespace
}  // namespace baton::rpc::testing
