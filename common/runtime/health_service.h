// HealthService: the standard grpc.health.v1.Health protocol, Check and Watch.
//
// Compiled from Debian's health.proto (//proto/grpc/health/v1), so server reflection
// can describe it and `grpcurl ... grpc.health.v1.Health/Check` works; gRPC's built-in
// health service would leave it undescribable.
//
// Statuses are kept per service name; "" is the whole server. Check of an unknown name
// answers NOT_FOUND; Watch of one streams SERVICE_UNKNOWN until it becomes known.
// Shutdown() turns everything NOT_SERVING, tells every watcher, and ends their streams
// (OK) so that idle watchers do not hold a draining server open; later changes are
// ignored, as a server that is going away must not claim to serve again.
//
// Thread safety: every method may be called from any thread.
#ifndef BATON_COMMON_RUNTIME_HEALTH_SERVICE_H_
#define BATON_COMMON_RUNTIME_HEALTH_SERVICE_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace baton::runtime {

class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  HealthService() = default;
  ~HealthService() override;  // Call Shutdown() and stop the server first.

  void SetStatus(const std::string& service, ServingStatus status);
  ServingStatus Status(const std::string& service) const;
  void Shutdown();

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* call,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* call,
      const grpc::health::v1::HealthCheckRequest* request) override;

 private:
  class Watcher;
  friend class Watcher;

  void Forget(Watcher* watcher);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, ServingStatus> statuses_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace baton::runtime

#endif  // BATON_COMMON_RUNTIME_HEALTH_SERVICE_H_
