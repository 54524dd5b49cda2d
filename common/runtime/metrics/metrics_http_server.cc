#include "common/runtime/metrics/metrics_http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace baton::runtime {
namespace {

constexpr char kMetricsType[] = "text/plain; version=0.0.4; charset=utf-8";

MHD_Result Reply(MHD_Connection* connection, unsigned int code, const std::string& body,
                 const char* type) {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  const MHD_Result queued = MHD_queue_response(connection, code, response);
  MHD_destroy_response(response);
  return queued;
}

MHD_Result Answer(void* cls, MHD_Connection* connection, const char* url, const char* method,
                  const char* /*version*/, const char* /*upload_data*/,
                  size_t* /*upload_data_size*/, void** /*con_cls*/) {
  const auto* handler = static_cast<const MetricsHttpServer::Handler*>(cls);
  if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0) {
    return Reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n", "text/plain");
  }
  if (std::strcmp(url, "/metrics") == 0) {
    return Reply(connection, MHD_HTTP_OK, handler->registry->Expose(), kMetricsType);
  }
  if (std::strcmp(url, "/healthz") == 0) {
    return handler->healthy()
               ? Reply(connection, MHD_HTTP_OK, "ok\n", "text/plain")
               : Reply(connection, MHD_HTTP_SERVICE_UNAVAILABLE, "draining\n", "text/plain");
  }
  return Reply(connection, MHD_HTTP_NOT_FOUND, "not found: try /metrics or /healthz\n",
               "text/plain");
}

absl::Status Invalid(const std::string& listen) {
  return absl::InvalidArgumentError("--metrics_listen: \"" + listen +
                                    "\" is not HOST:PORT with a numeric IPv4 or [IPv6] host");
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const std::string& listen, const MetricsRegistry* registry, std::function<bool()> healthy) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Invalid(listen);
  std::string host = listen.substr(0, colon);
  int port = 0;
  if (!absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return Invalid(listen);
  }
  sockaddr_storage address{};
  unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &v6->sin6_addr) != 1) {
      return Invalid(listen);
    }
    flags |= MHD_USE_IPv6;
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) != 1) return Invalid(listen);
  }
  auto handler = std::make_unique<Handler>(Handler{registry, std::move(healthy)});
  MHD_Daemon* daemon = MHD_start_daemon(
      flags, static_cast<uint16_t>(port), nullptr, nullptr, &Answer, handler.get(),
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&address), MHD_OPTION_CONNECTION_TIMEOUT,
      10u, MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_END);
  if (daemon == nullptr) {
    return absl::UnavailableError("--metrics_listen: cannot listen on " + listen);
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
  const int bound = info != nullptr ? info->port : port;
  return std::make_unique<MetricsHttpServer>(std::move(handler), daemon, bound);
}

MetricsHttpServer::~MetricsHttpServer() { MHD_stop_daemon(daemon_); }

}  // namespace baton::runtime
