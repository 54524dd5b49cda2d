// MetricsHttpServer: the HTTP side port every service opens for its operators.
//
//   GET /metrics   the registry in Prometheus text format (version 0.0.4)
//   GET /healthz   200 "ok" while the service serves; 503 "draining" once it drains
// Anything else: 404, or 405 for a method other than GET/HEAD.
//
// Served by libmicrohttpd (Debian's libmicrohttpd-dev) on a thread of its own.
//
// Thread safety: the registry and `healthy` are called from the server's thread.
#ifndef BATON_COMMON_RUNTIME_METRICS_METRICS_HTTP_SERVER_H_
#define BATON_COMMON_RUNTIME_METRICS_METRICS_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/runtime/metrics/metrics_registry.h"

struct MHD_Daemon;

namespace baton::runtime {

class MetricsHttpServer {
 public:
  // `listen` is HOST:PORT (IPv4 or [IPv6]; port 0 picks one). Both pointers must
  // outlive the server.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(const std::string& listen,
                                                                  const MetricsRegistry* registry,
                                                                  std::function<bool()> healthy);
  ~MetricsHttpServer();  // Stops serving.

  int port() const { return port_; }

  // For libmicrohttpd's callback.
  struct Handler {
    const MetricsRegistry* registry;
    std::function<bool()> healthy;
  };
  MetricsHttpServer(std::unique_ptr<Handler> handler, MHD_Daemon* daemon, int port)
      : handler_(std::move(handler)), daemon_(daemon), port_(port) {}

 private:
  std::unique_ptr<Handler> handler_;
  MHD_Daemon* daemon_;
  int port_;
};

}  // namespace baton::runtime

#endif  // BATON_COMMON_RUNTIME_METRICS_METRICS_HTTP_SERVER_H_
