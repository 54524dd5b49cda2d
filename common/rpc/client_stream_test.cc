// Outbound streams opened under a Context, against real servers on loopback: each kind
// carries the Context's deadline, finishes cleanly, and is cancelled — a blocked read or
// write returning at once, the callee's handler ending — when the Context ends.
#include <memory>
#include <thread>

#include "absl/time/clock.h"
#include "baton/testing/v1/stream.grpc.pb.h"
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

class ClientStreamTest : public ::testing::Test {
 protected:
  StreamServer server_{"callee"};
  std::unique_ptr<StreamService::Stub> stub_ = StreamService::NewStub(
      grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials()));

  std::unique_ptr<ClientStreamWriter<Number, Number>> OpenSum(const Context& ctx) {
    return ClientStreamWriter<Number, Number>::Open(
        ctx, "callee.Sum",
        [this](grpc::ClientContext* call, Number* total, grpc::ClientWriteReactor<Number>* r) {
          stub_->async()->Sum(call, total, r);
        });
  }
  std::unique_ptr<ClientBidiStream<Number, Number>> OpenEcho(const Context& ctx) {
    return ClientBidiStream<Number, Number>::Open(
        ctx, "callee.Echo",
        [this](grpc::ClientContext* call, grpc::ClientBidiReactor<Number, Number>* r) {
          stub_->async()->Echo(call, r);
        });
  }
};

Number Of(int64_t value) {
  Number number;
  number.set_value(value);
  return number;
}

TEST_F(ClientStreamTest, WriterSendsEverythingAndGetsTheAnswer) {
  auto [ctx, cancel] = WithTimeout(Background(), absl::Seconds(10));
  auto sum = OpenSum(ctx);
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(sum->Write(Of(i)).ok());
  Number total;
  ASSERT_TRUE(sum->Finish(total).ok());
  EXPECT_EQ(total.value(), 55);
}

TEST_F(ClientStreamTest, WriterIsCancelledWithItsContext) {
  auto [ctx, cancel] = WithCancelCause(Background());
  auto sum = OpenSum(ctx);
  ASSERT_TRUE(sum->Write(Of(1)).ok());
  // The callee's handler is running (a call cancelled before it gets there never runs).
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (server_.adapter().stream_pool().busy() == 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  const absl::Time cancelled = absl::Now();
  cancel(absl::CancelledError("the caller went away"));
  EXPECT_EQ(sum->Write(Of(2)), absl::CancelledError("the caller went away"));
  Number total;
  EXPECT_EQ(sum->Finish(total), absl::CancelledError("the caller went away"));
  std::optional<StreamServer::HandlerEnd> end = server_.WaitForEnd(1, absl::Seconds(10));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status.code(), absl::StatusCode::kCancelled) << end->status;
  EXPECT_LT(end->ended - cancelled, Scaled(absl::Milliseconds(200)));
}

TEST_F(ClientStreamTest, BidiEchoesAndEndsCleanly) {
  auto [ctx, cancel] = WithTimeout(Background(), absl::Seconds(10));
  auto echo = OpenEcho(ctx);
  Number back;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(echo->Write(Of(i * 3)).ok());
    absl::StatusOr<bool> read = echo->Read(back);
    ASSERT_TRUE(read.ok() && *read) << read.status();
    EXPECT_EQ(back.value(), i * 3);
  }
  echo->WritesDone();
  absl::StatusOr<bool> last = echo->Read(back);
  ASSERT_TRUE(last.ok());
  EXPECT_FALSE(*last);
  EXPECT_TRUE(echo->Finish().ok());
}

TEST_F(ClientStreamTest, BlockedReadReturnsWhenTheContextEnds) {
  auto [ctx, cancel] = WithCancelCause(Background());
  auto echo = OpenEcho(ctx);
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (server_.adapter().stream_pool().busy() == 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  absl::Time cancelled;
  std::thread canceller([&, &cancel = cancel] {
    absl::SleepFor(absl::Milliseconds(50));
    cancelled = absl::Now();
    cancel(absl::CancelledError("the caller went away"));
  });
  Number back;
  absl::StatusOr<bool> read = echo->Read(back);  // Nothing was written: it blocks.
  const absl::Time returned = absl::Now();
  canceller.join();
  EXPECT_EQ(read.status(), absl::CancelledError("the caller went away"));
  EXPECT_LT(returned - cancelled, Scaled(absl::Milliseconds(50)));
  std::optional<StreamServer::HandlerEnd> end = server_.WaitForEnd(1, absl::Seconds(10));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status.code(), absl::StatusCode::kCancelled) << end->status;
}

TEST_F(ClientStreamTest, ReaderCarriesTheContextsDeadline) {
  auto [ctx, cancel] = WithTimeoutCause(Background(), Scaled(absl::Milliseconds(200)),
                                        absl::DeadlineExceededError("the 200ms budget"));
  CountRequest request;
  request.set_interval_ms(1);
  auto count = ClientStreamReader<Number>::Open(
      ctx, "callee.Count",
      [&](grpc::ClientContext* call, grpc::ClientReadReactor<Number>* r) {
        stub_->async()->Count(call, &request, r);
      });
  Number number;
  absl::StatusOr<bool> more;
  while ((more = count->Read(number)).ok() && *more) {
  }
  EXPECT_EQ(count->Finish(), absl::DeadlineExceededError("the 200ms budget"));
  // The callee was given the deadline (less the slack) and ended on its own.
  std::optional<StreamServer::HandlerEnd> end = server_.WaitForEnd(1, absl::Seconds(10));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->status.code(), absl::StatusCode::kDeadlineExceeded) << end->status;
}

}  // namespace
}  // namespace baton::rpc::testing
