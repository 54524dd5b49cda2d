#include "common/rpc/server_adapter.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/service_access.h"
#include "google/protobuf/descriptor.h"

namespace baton::rpc {

namespace {

// A mistake in the code that uses the adapter, found where it is made: stop, naming it.
[[noreturn]] void Misused(std::string_view message) {
  std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
  std::abort();
}

[[noreturn]] void MisservedMethod(std::string_view service_name, std::string_view method,
                                  std::string_view problem) {
  Misused(absl::StrCat("ServeUnary: ", absl::string_view(service_name.data(), service_name.size()),
                       "/", absl::string_view(method.data(), method.size()), ": ",
                       absl::string_view(problem.data(), problem.size())));
}

// The CPUs the calling thread may run on (its affinity: the process's unless narrowed),
// which the threads it starts inherit. A CPU quota (cgroup) is not counted.
int CpusToRunOn() {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (sched_getaffinity(0, sizeof(cpus), &cpus) != 0) {
    // More CPUs than a cpu_set_t holds.
    return std::max(static_cast<int>(std::thread::hardware_concurrency()), 1);
  }
  return std::max(CPU_COUNT(&cpus), 1);
}

}  // namespace

ServerAdapter::ServerAdapter(Options options)
    : options_(std::move(options)),
      root_(WithCancelCause(Background())),
      stream_pool_(options_.streams),
      pool_(options_.pool) {}

ServerAdapter::~ServerAdapter() {
  // Whatever still runs — a handler, or an asynchronous one waiting on its Context —
  // is told to end. Then the pools: what waits is answered, what runs finishes. Then
  // calls answered from other threads (an asynchronous handler's reply on gRPC's
  // thread, or the timer's) may still be letting go of themselves, and touch this
  // adapter until their in-flight count is down. Last the completion queue, if the
  // server never started.
  {
    absl::MutexLock lock(&queue_mu_);
    if (queue_open_) {
      // Its calls would keep coming, and the queue would never empty.
      Misused("~ServerAdapter: its server still exists; it must go first");
    }
  }
  CancelInFlight(absl::UnavailableError("server shutting down"));
  stream_pool_.Stop();
  pool_.Stop();
  WaitForIdle(absl::InfiniteFuture());
  StopPolling();
}

int ServerAdapter::MethodIndex(std::string_view service_name, std::string_view method,
                               const google::protobuf::Descriptor& request,
                               const google::protobuf::Descriptor& response) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          std::string(service_name));
  if (service == nullptr) MisservedMethod(service_name, method, "no such service");
  const google::protobuf::MethodDescriptor* found =
      service->FindMethodByName(std::string(method));
  if (found == nullptr) {
    MisservedMethod(service_name, method,
                    absl::StrCat("the service has no method ",
                                 absl::string_view(method.data(), method.size())));
  }
  if (found->client_streaming() || found->server_streaming()) {
    MisservedMethod(service_name, method, "the method streams; serve it with server_stream.h");
  }
  if (found->input_type() != &request || found->output_type() != &response) {
    MisservedMethod(service_name, method,
                    absl::StrCat("the method takes ", found->input_type()->full_name(),
                                 " and returns ", found->output_type()->full_name(), ", not ",
                                 request.full_name(), " and ", response.full_name()));
  }
  // The generated service lists its methods in the order the descriptor does.
  return found->index();
}

void ServerAdapter::Serve(std::unique_ptr<ServedMethod> served) {
  ServiceAccess::MarkRequested(*served->service, served->index);
  served_.push_back(std::move(served));
}

void ServerAdapter::ServerDeleter::operator()(grpc::Server* server) const {
  const std::unique_ptr<grpc::Server> owned(server);
  if (adapter == nullptr) return;
  // An arrival already taken from the network but not yet from the queue would
  // otherwise start a handler after everything below.
  adapter->StartDraining(absl::UnavailableError("server shutting down"));
  owned->Shutdown();
  // Shutdown cancelled what was still open, so handlers end soon; their calls' last
  // events come through the pollers, still running.
  adapter->WaitForIdle(absl::InfiniteFuture());
  adapter->StopPolling();
}

ServerAdapter::Server ServerAdapter::BuildAndStart(grpc::ServerBuilder& builder) {
  if (built_.exchange(true)) {
    Misused("ServerAdapter::BuildAndStart: called twice; one adapter serves one server");
  }
  // Only streams (callback methods): no queue to serve, and none of its threads.
  if (served_.empty()) return Server(builder.BuildAndStart().release(), ServerDeleter{this});
  std::unique_ptr<grpc::ServerCompletionQueue> queue = builder.AddCompletionQueue();
  Server server(builder.BuildAndStart().release(), ServerDeleter{this});
  // One poller per CPU this process may run on (no more than the pool's places), and
  // one more, free to receive while the others run handlers (call_poller.h).
  const int pollers = std::clamp(CpusToRunOn(), 1, std::max(options_.pool.threads, 1)) + 1;
  poller_ = std::make_unique<CallPoller>(std::move(queue), pollers,
                                         options_.pool.batch_scheduling);
  if (server == nullptr) {
    StopPolling();
    return nullptr;
  }
  {
    absl::MutexLock lock(&queue_mu_);
    queue_open_ = true;
  }
  // As many calls requested per method as pollers can take at once.
  for (const std::unique_ptr<ServedMethod>& method : served_) {
    for (int i = 0; i < pollers; ++i) RequestNext(*method);
  }
  return server;
}

ServerAdapter::Server ServerAdapter::StartServer(grpc::ServerBuilder& builder,
                                                 ServerAdapter* adapter) {
  if (adapter != nullptr) return adapter->BuildAndStart(builder);
  return Server(builder.BuildAndStart().release());
}

CallPoller* ServerAdapter::TryRunOnPoller() {
  CallPoller* poller = poller_.get();
  if (!poller->ClaimHandlerPlace()) return nullptr;
  if (pool_.TryRunHere()) return poller;
  poller->ReleaseHandlerPlace();
  return nullptr;
}

void ServerAdapter::DoneRunningOnPoller(CallPoller& poller) {
  pool_.DoneRunningHere();
  poller.ReleaseHandlerPlace();
}

void ServerAdapter::RequestNext(const ServedMethod& method) {
  StartOnQueue([&](grpc::ServerCompletionQueue* queue) {
    UnaryCall::Await(method.make(this, &method), queue);
  });
}

bool ServerAdapter::StartOnQueue(absl::FunctionRef<void(grpc::ServerCompletionQueue*)> start) {
  // Open means the server exists too: an answer goes through it (gRPC's call hook).
  absl::ReaderMutexLock lock(&queue_mu_);
  if (!queue_open_) return false;
  start(poller_->queue());
  return true;
}

void ServerAdapter::StopPolling() {
  {
    absl::MutexLock lock(&queue_mu_);
    queue_open_ = false;
  }
  poller_.reset();
}

void ServerAdapter::StartDraining(absl::Status refusal) {
  if (drain_claimed_.exchange(true, std::memory_order_acq_rel)) return;
  drain_refusal_ = std::move(refusal);
  draining_.store(true, std::memory_order_release);
}

bool ServerAdapter::WaitForIdle(absl::Time deadline) const {
  // Only at shutdown: a short poll is simpler than a condition on every call's end.
  while (in_flight_.load(std::memory_order_acquire) > 0) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

void ServerAdapter::CancelInFlight(const absl::Status& cause) { root_.cancel.Cancel(cause); }

}  // namespace baton::rpc
