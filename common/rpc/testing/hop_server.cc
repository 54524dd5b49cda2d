#include "common/rpc/testing/hop_server.h"

#include "absl/time/clock.h"
#include "common/rpc/client_call.h"
#include "common/rpc/metadata_table.h"
#include "common/rpc/request_metadata.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace baton::rpc::testing {

using baton::testing::v1::HopRequest;
using baton::testing::v1::HopResponse;
using baton::testing::v1::HopService;

class HopServer::Service final : public HopService::CallbackService {
 public:
  explicit Service(HopServer* server) {
    ServerAdapter& adapter = *server->adapter_;
    if (server->next_ != nullptr && server->options_.async_forward) {
      adapter.ServeUnaryAsync<HopRequest, HopResponse>(
          this, HopService::service_full_name(), "Hop",
          [server](const Context& ctx, const HopRequest& req, HopResponse& resp, Reply reply) {
            server->Forward(ctx, req, resp, std::move(reply));
          },
          server->options_.method);
      return;
    }
    adapter.ServeUnary<HopRequest, HopResponse>(
        this, HopService::service_full_name(), "Hop",
        [server](const Context& ctx, const HopRequest& req, HopResponse& resp) {
          return server->Handle(ctx, req, resp);
        },
        server->options_.method);
  }
};

ServerAdapter::Options TestAdapterOptions(const std::string& name) {
  ServerAdapter::Options options;
  options.policy.service_name = name;
  options.pool.threads = 4;
  options.log_sink = nullptr;
  return options;
}

HopServer::HopServer(Options options)
    : options_(std::move(options)),
      adapter_(std::make_unique<ServerAdapter>(options_.adapter)) {
  if (!options_.next_address.empty()) {
    next_ = HopService::NewStub(
        grpc::CreateChannel(options_.next_address, grpc::InsecureChannelCredentials()));
  }
  service_ = std::make_unique<Service>(this);
  server_ = std::make_unique<LoopbackServer>(service_.get(), adapter_.get());
}

HopServer::~HopServer() = default;

void HopServer::Observe(const Context& ctx, HopResponse& response) {
  handler_runs_.fetch_add(1);
  baton::testing::v1::HopObservation* seen = response.add_hops();
  seen->set_service(options_.name);
  seen->set_remaining_ms(absl::ToInt64Milliseconds(ctx.Remaining()));
  if (const RequestMetadata* md = MetadataOf(ctx)) {
    seen->set_request_id(md->request_id);
    seen->set_trace_id(md->trace.TraceIdHex());
    seen->set_span_id(md->trace.SpanIdHex());
    if (md->parent_trace.has_value()) seen->set_parent_span_id(md->parent_trace->SpanIdHex());
    seen->set_identity(md->identity);
    seen->set_tenant(md->tenant);
    seen->set_criticality(CriticalityName(md->criticality));
    for (const auto& [name, value] : md->extra) {
      if (IsCredentialHeader(name)) seen->set_saw_credentials(true);
    }
    for (const std::string& name : md->rejected) seen->add_rejected_headers(name);
  }
}

CallOptions HopServer::ForwardOptions(const HopRequest& request) const {
  CallOptions call_options;
  call_options.target = "next.Hop";
  if (request.call_timeout_ms() > 0) {
    call_options.timeout = absl::Milliseconds(request.call_timeout_ms());
  }
  return call_options;
}

void HopServer::Forward(const Context& ctx, const HopRequest& request, HopResponse& response,
                        Reply reply) {
  Observe(ctx, response);
  auto inner = std::make_unique<HopResponse>();
  HopResponse* answer = inner.get();
  CallAsync(
      ctx, ForwardOptions(request),
      [this, &request, answer](grpc::ClientContext* call, Done done) {
        next_->async()->Hop(call, &request, answer, std::move(done));
      },
      [&response, inner = std::move(inner), reply = std::move(reply)](absl::Status status) mutable {
        if (status.ok()) {
          for (const auto& hop : inner->hops()) *response.add_hops() = hop;
        }
        std::move(reply)(std::move(status));
      });
}

absl::Status HopServer::Handle(const Context& ctx, const HopRequest& request,
                               HopResponse& response) {
  Observe(ctx, response);
  if (next_ != nullptr) {
    HopResponse inner;
    absl::Status status =
        Call(ctx, ForwardOptions(request), [&](grpc::ClientContext* call, Done done) {
          next_->async()->Hop(call, &request, &inner, std::move(done));
        });
    if (!status.ok()) return status;
    for (const auto& hop : inner.hops()) *response.add_hops() = hop;
    return absl::OkStatus();
  }

  if (request.work_ms() < 0) return absl::InvalidArgumentError("work_ms is negative");
  WorkRecord record;
  record.started = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    ++work_started_;
  }
  const bool stopped = ctx.WaitFor(absl::Milliseconds(request.work_ms()));
  record.ended = absl::Now();
  record.completed = !stopped;
  if (stopped) record.context_cause = Cause(ctx);
  {
    absl::MutexLock lock(&mu_);
    work_ended_.push_back(record);
  }
  if (!stopped) return absl::OkStatus();
  if (request.on_stop_code() != 0) {
    return absl::Status(static_cast<absl::StatusCode>(request.on_stop_code()),
                        "gave up (as a proxy would)");
  }
  return Cause(ctx);
}

bool HopServer::WaitForWorkStarted(int count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto arg = std::make_pair(this, count);
  return mu_.AwaitWithTimeout(
      absl::Condition(
          +[](std::pair<HopServer*, int>* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return a->first->work_started_ >= a->second;
          },
          &arg),
      timeout);
}

std::optional<HopServer::WorkRecord> HopServer::WaitForWorkEnded(int count,
                                                                 absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto arg = std::make_pair(this, count);
  const bool ended = mu_.AwaitWithTimeout(
      absl::Condition(
          +[](std::pair<HopServer*, int>* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return static_cast<int>(a->first->work_ended_.size()) >= a->second;
          },
          &arg),
      timeout);
  if (!ended) return std::nullopt;
  return work_ended_[count - 1];
}

}  // namespace baton::rpc::testing
