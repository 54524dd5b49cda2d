#include "common/runtime/service_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, listen, "",
          "HOST:PORT to serve on (default: the service's own port on 127.0.0.1; port 0 "
          "picks a free one).");
ABSL_FLAG(std::string, port_file, "",
          "If set, the port actually bound is written to this file once serving.");
ABSL_FLAG(std::string, storage, "",
          "Storage URL: sqlite:///path/x.db, sqlite::memory: or "
          "postgres://user@host:port/db (default: sqlite://<service>.db in the working "
          "directory).");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(10),
          "On SIGTERM/SIGINT, how long in-flight requests may finish before their "
          "Contexts are cancelled.");
ABSL_FLAG(std::string, log_format, "json", "Log lines as json or text.");
ABSL_FLAG(bool, enable_fault_injection, false,
          "Honour the x-baton-fault request header (tests and demos only).");
ABSL_FLAG(std::string, metrics_listen, "",
          "HOST:PORT for the HTTP metrics port: /metrics (Prometheus text) and /healthz "
          "(503 while draining). Off when empty.");
ABSL_FLAG(std::string, metrics_port_file, "",
          "If set, the metrics port actually bound is written to this file.");
ABSL_FLAG(int32_t, max_message_bytes, 4 << 20,
          "Largest message received, by the server and by its clients of other services; "
          "a larger one is refused with RESOURCE_EXHAUSTED.");
ABSL_FLAG(int32_t, max_metadata_bytes, 16 << 10,
          "Largest request/response metadata (headers) accepted, in bytes.");
ABSL_FLAG(absl::Duration, max_reconnect_backoff, absl::Seconds(2),
          "Longest wait between attempts to reconnect to a peer service that went away, so "
          "that traffic recovers soon after it is back.");
