#include "tools/bench/chain.h"

#include <time.h>

#include <optional>
#include <utility>

#include "absl/time/clock.h"
#include "common/rpc/client_call.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace baton::bench {
namespace {

using baton::testing::v1::ChainRequest;
using baton::testing::v1::ChainResponse;
using baton::testing::v1::ChainService;

absl::Duration ThreadCpu() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return absl::DurationFromTimespec(now);
}

absl::Time CallerDeadline(const ChainRequest& request) {
  return request.caller_deadline_unix_us() > 0
             ? absl::FromUnixMicros(request.caller_deadline_unix_us())
             : absl::InfiniteFuture();
}

std::unique_ptr<ChainService::Stub> StubFor(const std::string& address) {
  if (address.empty()) return nullptr;
  return ChainService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

class AdapterHop final : public ChainService::CallbackService {
 public:
  AdapterHop(rpc::ServerAdapter* adapter, const std::string& next, WasteCounter* waste)
      : next_(StubFor(next)), waste_(waste) {
    adapter->ServeUnary<ChainRequest, ChainResponse>(
        this, ChainService::service_full_name(), "Step",
        [this](const Context& ctx, const ChainRequest& req, ChainResponse& out) {
          return Handle(ctx, req, out);
        });
  }

 private:
  absl::Status Handle(const Context& ctx, const ChainRequest& request, ChainResponse& out) {
    if (!BusyWork(absl::Microseconds(request.work_us()), CallerDeadline(request),
                  [&ctx] { return ctx.IsDone(); }, *waste_)) {
      return Cause(ctx);
    }
    if (next_ == nullptr) {
      out.set_hops(1);
      return absl::OkStatus();
    }
    ChainResponse inner;
    rpc::CallOptions options;
    options.target = "next.Step";
    absl::Status status =
        rpc::Call(ctx, options, [&](grpc::ClientContext* call, rpc::Done done) {
          next_->async()->Step(call, &request, &inner, std::move(done));
        });
    if (!status.ok()) return status;
    out.set_hops(inner.hops() + 1);
    return absl::OkStatus();
  }

  const std::unique_ptr<ChainService::Stub> next_;
  WasteCounter* const waste_;
};

// The adapter with a hop that answers later: no thread waits for the next hop.
class AdapterAsyncHop final : public ChainService::CallbackService {
 public:
  AdapterAsyncHop(rpc::ServerAdapter* adapter, const std::string& next, WasteCounter* waste)
      : next_(StubFor(next)), waste_(waste) {
    // A hop that only forwards never blocks, and the adapter runs it on the thread that
    // received the call whenever its pool has room.
    adapter->ServeUnaryAsync<ChainRequest, ChainResponse>(
        this, ChainService::service_full_name(), "Step",
        [this](const Context& ctx, const ChainRequest& req, ChainResponse& out,
               rpc::Reply reply) { Handle(ctx, req, out, std::move(reply)); });
  }

 private:
  void Handle(const Context& ctx, const ChainRequest& request, ChainResponse& out,
              rpc::Reply reply) {
    if (!BusyWork(absl::Microseconds(request.work_us()), CallerDeadline(request),
                  [&ctx] { return ctx.IsDone(); }, *waste_)) {
      std::move(reply)(Cause(ctx));
      return;
    }
    if (next_ == nullptr) {
      out.set_hops(1);
      std::move(reply)(absl::OkStatus());
      return;
    }
    auto inner = std::make_unique<ChainResponse>();
    ChainResponse* answer = inner.get();
    rpc::CallAsync(
        ctx, {.target = "next.Step"},
        [this, &request, answer](grpc::ClientContext* call, rpc::Done done) {
          next_->async()->Step(call, &request, answer, std::move(done));
        },
        [&out, inner = std::move(inner), reply = std::move(reply)](absl::Status status) mutable {
          if (status.ok()) out.set_hops(inner->hops() + 1);
          std::move(reply)(std::move(status));
        });
  }

  const std::unique_ptr<ChainService::Stub> next_;
  WasteCounter* const waste_;
};

class RawHop final : public ChainService::Service {
 public:
  RawHop(const std::string& next, WasteCounter* waste) : next_(StubFor(next)), waste_(waste) {}

  grpc::Status Step(grpc::ServerContext*, const ChainRequest* request,
                    ChainResponse* response) override {
    BusyWork(absl::Microseconds(request->work_us()), CallerDeadline(*request),
             [] { return false; }, *waste_);
    if (next_ == nullptr) {
      response->set_hops(1);
      return grpc::Status::OK;
    }
    grpc::ClientContext call;
    ChainResponse inner;
    grpc::Status status = next_->Step(&call, *request, &inner);
    if (!status.ok()) return status;
    response->set_hops(inner.hops() + 1);
    return grpc::Status::OK;
  }

 private:
  const std::unique_ptr<ChainService::Stub> next_;
  WasteCounter* const waste_;
};

// Raw gRPC the non-blocking way: the callback API, the outbound call asynchronous,
// the reactor finished from its completion. No Context, no propagation.
class RawCallbackHop final : public ChainService::CallbackService {
 public:
  RawCallbackHop(const std::string& next, WasteCounter* waste)
      : next_(StubFor(next)), waste_(waste) {}

  grpc::ServerUnaryReactor* Step(grpc::CallbackServerContext* call, const ChainRequest* request,
                                 ChainResponse* response) override {
    grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
    BusyWork(absl::Microseconds(request->work_us()), CallerDeadline(*request),
             [] { return false; }, *waste_);
    if (next_ == nullptr) {
      response->set_hops(1);
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
    struct Outbound {
      grpc::ClientContext context;
      ChainResponse inner;
    };
    auto outbound = std::make_shared<Outbound>();
    next_->async()->Step(&outbound->context, request, &outbound->inner,
                         [reactor, response, outbound](grpc::Status status) {
                           if (status.ok()) response->set_hops(outbound->inner.hops() + 1);
                           reactor->Finish(status);
                         });
    return reactor;
  }

 private:
  const std::unique_ptr<ChainService::Stub> next_;
  WasteCounter* const waste_;
};

}  // namespace

bool BusyWork(absl::Duration work, absl::Time caller_deadline, absl::FunctionRef<bool()> stop,
              WasteCounter& waste) {
  waste.pieces_started.fetch_add(1);
  const absl::Duration start = ThreadCpu();
  std::optional<absl::Duration> at_deadline;
  volatile uint64_t sink = 1;
  bool finished = true;
  for (;;) {
    for (int i = 0; i < 1000; ++i) sink = sink * 6364136223846793005ULL + 1;
    const absl::Duration cpu = ThreadCpu();
    if (!at_deadline.has_value() && absl::Now() > caller_deadline) at_deadline = cpu;
    if (cpu - start >= work) break;
    if (stop()) {
      finished = false;
      break;
    }
  }
  if (at_deadline.has_value()) {
    waste.cpu_ns_after_deadline.fetch_add(absl::ToInt64Nanoseconds(ThreadCpu() - *at_deadline));
  }
  if (!finished) waste.pieces_cut_short.fetch_add(1);
  waste.pieces_ended.fetch_add(1);
  return finished;
}

const char* ChainKindName(ChainKind kind) {
  switch (kind) {
    case ChainKind::kAdapter:
      return "adapter";
    case ChainKind::kAdapterAsync:
      return "adapter async";
    case ChainKind::kRawSync:
      return "raw sync";
    case ChainKind::kRawCallback:
      return "raw callback";
  }
  return "?";
}

Chain::Chain(ChainOptions options) {
  std::string next;
  // Built from the last hop back, so each knows the address of the next.
  for (int i = options.hops - 1; i >= 0; --i) {
    auto hop = std::make_unique<Hop>();
    hop->waste = std::make_unique<WasteCounter>();
    grpc::ServerBuilder builder;
    if (options.kind == ChainKind::kAdapter || options.kind == ChainKind::kAdapterAsync) {
      rpc::ServerAdapter::Options adapter;
      adapter.policy.service_name = "hop" + std::to_string(i + 1);
      adapter.pool.threads = options.threads;
      adapter.pool.batch_scheduling = options.batch_scheduling;
      adapter.pool.queue_bound = options.queue_bound;
      adapter.pool.shed_threshold = options.shed_threshold;
      adapter.log_sink = nullptr;
      hop->adapter = std::make_unique<rpc::ServerAdapter>(adapter);
      if (options.kind == ChainKind::kAdapter) {
        hop->service = std::make_unique<AdapterHop>(hop->adapter.get(), next, hop->waste.get());
      } else {
        hop->service =
            std::make_unique<AdapterAsyncHop>(hop->adapter.get(), next, hop->waste.get());
      }
    } else if (options.kind == ChainKind::kRawSync) {
      hop->service = std::make_unique<RawHop>(next, hop->waste.get());
    } else {
      hop->service = std::make_unique<RawCallbackHop>(next, hop->waste.get());
    }
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(hop->service.get());
    hop->server = rpc::ServerAdapter::StartServer(builder, hop->adapter.get());
    hop->address = "127.0.0.1:" + std::to_string(port);
    next = hop->address;
    hops_.insert(hops_.begin(), std::move(hop));
  }
}

Chain::~Chain() {
  for (auto& hop : hops_) {
    hop->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    hop->server->Wait();
  }
}

std::vector<HopWaste> Chain::WasteNow() const {
  std::vector<HopWaste> now;
  for (const auto& hop : hops_) {
    now.push_back({.started = hop->waste->pieces_started.load(),
                   .cut_short = hop->waste->pieces_cut_short.load(),
                   .cpu_ns_after_deadline = hop->waste->cpu_ns_after_deadline.load()});
  }
  return now;
}

bool Chain::WaitForQuiet(absl::Duration timeout) {
  // Quiet for 100 ms running: a call between two hops has no work started yet.
  const absl::Time give_up = absl::Now() + timeout;
  absl::Time quiet_since = absl::Now();
  for (;;) {
    bool quiet = true;
    for (auto& hop : hops_) {
      if (hop->waste->pieces_started.load() != hop->waste->pieces_ended.load()) quiet = false;
    }
    const absl::Time now = absl::Now();
    if (!quiet) quiet_since = now;
    if (now - quiet_since >= absl::Milliseconds(100)) return true;
    if (now > give_up) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
}

}  // namespace baton::bench
