#include "common/rpc/testing/stream_server.h"

#include <utility>

#include "absl/time/clock.h"
#include "common/rpc/client_stream.h"
#include "common/rpc/stream_method.h"
#include "common/rpc/testing/hop_server.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace baton::rpc::testing {

using baton::testing::v1::CountRequest;
using baton::testing::v1::Number;
using baton::testing::v1::StreamService;

class StreamServer::Service final : public StreamService::CallbackService {
 public:
  Service(StreamServer* server, const std::string& next_address)
      : server_(server), adapter_(server->adapter_.get()) {
    if (!next_address.empty()) {
      next_ = StreamService::NewStub(
          grpc::CreateChannel(next_address, grpc::InsecureChannelCredentials()));
    }
  }

  BATON_SERVER_STREAM_METHOD_DECL(Count, CountRequest, Number);
  BATON_CLIENT_STREAM_METHOD_DECL(Sum, Number, Number);
  BATON_BIDI_STREAM_METHOD_DECL(Echo, Number, Number);
  BATON_SERVER_STREAM_METHOD_DECL(Relay, CountRequest, Number);

 private:
  StreamServer* const server_;
  ServerAdapter* const adapter_;
  std::unique_ptr<StreamService::Stub> next_;
};

absl::Status StreamServer::Service::Count(const Context& ctx, const CountRequest& request,
                                          StreamWriter<Number>& out) {
  HandlerEnd end{.method = "Count"};
  Number number;
  number.set_payload(std::string(request.payload_bytes(), 'p'));
  absl::Status status;
  for (int64_t i = 0; request.count() == 0 || i < request.count(); ++i) {
    if (request.interval_ms() > 0 && ctx.WaitFor(absl::Milliseconds(request.interval_ms()))) {
      status = Cause(ctx);
      break;
    }
    if (request.fail_after() > 0 && i == request.fail_after()) {
      status = absl::FailedPreconditionError("asked to fail");
      break;
    }
    number.set_value(i);
    status = out.Write(number);
    if (!status.ok()) break;
    server_->written_.fetch_add(1);
    ++end.messages;
  }
  if (ctx.IsDone()) end.write_after_done = out.Write(number);
  end.status = status;
  end.ended = absl::Now();
  server_->RecordEnd(end);
  return status;
}

absl::Status StreamServer::Service::Sum(const Context& /*ctx*/, StreamReader<Number>& in,
                                        Number& total) {
  HandlerEnd end{.method = "Sum"};
  Number number;
  absl::StatusOr<bool> more;
  int64_t sum = 0;
  while ((more = in.Read(number)).ok() && *more) {
    sum += number.value();
    ++end.messages;
  }
  total.set_value(sum);
  end.status = more.status();
  end.ended = absl::Now();
  server_->RecordEnd(end);
  return more.status();
}

absl::Status StreamServer::Service::Echo(const Context& /*ctx*/, StreamReader<Number>& in,
                                         StreamWriter<Number>& out) {
  HandlerEnd end{.method = "Echo"};
  Number number;
  absl::StatusOr<bool> more;
  absl::Status status;
  while (status.ok() && (more = in.Read(number)).ok() && *more) {
    status = out.Write(number);
    if (status.ok()) ++end.messages;
  }
  if (status.ok()) status = more.status();
  end.status = status;
  end.ended = absl::Now();
  server_->RecordEnd(end);
  return status;
}

absl::Status StreamServer::Service::Relay(const Context& ctx, const CountRequest& request,
                                          StreamWriter<Number>& out) {
  HandlerEnd end{.method = "Relay"};
  auto inner = ClientStreamReader<Number>::Open(
      ctx, "next.Count",
      [&](grpc::ClientContext* call, grpc::ClientReadReactor<Number>* reactor) {
        next_->async()->Count(call, &request, reactor);
      });
  Number number;
  absl::StatusOr<bool> more;
  absl::Status status;
  while (status.ok() && (more = inner->Read(number)).ok() && *more) {
    status = out.Write(number);
    if (status.ok()) ++end.messages;
  }
  if (status.ok() && !more.ok()) status = more.status();
  absl::Status finished = inner->Finish();
  if (status.ok()) status = finished;
  end.status = status;
  end.ended = absl::Now();
  server_->RecordEnd(end);
  return status;
}

BATON_SERVER_STREAM_METHOD(StreamServer::Service, Count, CountRequest, Number)
BATON_CLIENT_STREAM_METHOD(StreamServer::Service, Sum, Number, Number)
BATON_BIDI_STREAM_METHOD(StreamServer::Service, Echo, Number, Number)
BATON_SERVER_STREAM_METHOD(StreamServer::Service, Relay, CountRequest, Number)

StreamServer::StreamServer(const std::string& name, const std::string& next_address) {
  adapter_ = std::make_unique<ServerAdapter>(TestAdapterOptions(name));
  service_ = std::make_unique<Service>(this, next_address);
  server_ = std::make_unique<LoopbackServer>(service_.get(), adapter_.get());
}

StreamServer::~StreamServer() {
  server_.reset();
  // A stream handler can outlive its gRPC call (a cancelled caller is answered at
  // once); the adapter joins the threads that run them, so that none is still
  // recording its end while ends_ goes.
  adapter_.reset();
}

void StreamServer::RecordEnd(HandlerEnd end) {
  absl::MutexLock lock(&mu_);
  ends_.push_back(std::move(end));
}

std::optional<StreamServer::HandlerEnd> StreamServer::WaitForEnd(int n, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(ends_.size()) >= n;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&enough), timeout)) return std::nullopt;
  return ends_[n - 1];
}

}  // namespace baton::rpc::testing
