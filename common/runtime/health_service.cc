#include "common/runtime/health_service.h"

#include <memory>
#include <utility>

namespace baton::runtime {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// One Watch stream. Writes one status at a time; a change that arrives while a write
// is in flight is sent when it completes (only the latest matters). Owned by gRPC
// from Watch() until OnDone().
class HealthService::Watcher final : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  Watcher(HealthService* health, std::string service)
      : health_(health), service_(std::move(service)) {}

  // Called with health_->mu_ held.
  void Update(ServingStatus status, bool last) ABSL_EXCLUSIVE_LOCKS_REQUIRED(health_->mu_) {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    pending_ = status;
    finish_after_write_ = finish_after_write_ || last;
    if (!writing_) WriteLocked();
  }

  void OnWriteDone(bool ok) override {
    bool finish = false;
    grpc::Status status = grpc::Status::OK;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) {
        status = grpc::Status(grpc::StatusCode::CANCELLED, "watch stream broken");
        finish = TakeFinishLocked();
      } else if (pending_ != sent_) {
        WriteLocked();
      } else if (finish_after_write_) {
        finish = TakeFinishLocked();
      }
    }
    // Outside the lock: gRPC may run OnDone, which frees this, as soon as it has it.
    if (finish) Finish(std::move(status));
  }

  void OnCancel() override {
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      // A write in flight fails and finishes the stream in OnWriteDone.
      if (!writing_) finish = TakeFinishLocked();
    }
    if (finish) Finish(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
  }

  void OnDone() override {
    health_->Forget(this);
    std::unique_ptr<Watcher> self(this);
  }

 private:
  void WriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    writing_ = true;
    sent_ = pending_;
    response_.set_status(sent_);
    StartWrite(&response_);
  }

  // Whether the caller is the one to call Finish.
  bool TakeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return false;
    finished_ = true;
    return true;
  }

  HealthService* const health_;
  const std::string service_;
  absl::Mutex mu_;
  HealthCheckResponse response_ ABSL_GUARDED_BY(mu_);
  ServingStatus pending_ ABSL_GUARDED_BY(mu_) = HealthCheckResponse::UNKNOWN;
  ServingStatus sent_ ABSL_GUARDED_BY(mu_) = HealthCheckResponse::UNKNOWN;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_after_write_ ABSL_GUARDED_BY(mu_) = false;

 public:
  const std::string& service() const { return service_; }
};

HealthService::~HealthService() = default;

void HealthService::SetStatus(const std::string& service, ServingStatus status) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  statuses_[service] = status;
  for (Watcher* watcher : watchers_) {
    if (watcher->service() == service) watcher->Update(status, /*last=*/false);
  }
}

HealthService::ServingStatus HealthService::Status(const std::string& service) const {
  absl::MutexLock lock(&mu_);
  auto it = statuses_.find(service);
  return it == statuses_.end() ? HealthCheckResponse::SERVICE_UNKNOWN : it->second;
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
  for (auto& [name, status] : statuses_) status = HealthCheckResponse::NOT_SERVING;
  for (Watcher* watcher : watchers_) {
    watcher->Update(HealthCheckResponse::NOT_SERVING, /*last=*/true);
  }
}

void HealthService::Forget(Watcher* watcher) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(watcher);
}

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* call,
                                               const HealthCheckRequest* request,
                                               HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  const ServingStatus status = Status(request->service());
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND,
                                 "unknown service \"" + request->service() + "\""));
    return reactor;
  }
  response->set_status(status);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthService::Watch(
    grpc::CallbackServerContext* /*call*/, const HealthCheckRequest* request) {
  auto* watcher = std::make_unique<Watcher>(this, request->service()).release();
  absl::MutexLock lock(&mu_);
  watchers_.insert(watcher);
  auto it = statuses_.find(request->service());
  const ServingStatus status =
      shut_down_ ? HealthCheckResponse::NOT_SERVING
                 : (it == statuses_.end() ? HealthCheckResponse::SERVICE_UNKNOWN : it->second);
  watcher->Update(status, /*last=*/shut_down_);
  return watcher;
}

}  // namespace baton::runtime
