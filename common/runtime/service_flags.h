// Flags every service binary has besides the adapter's (adapter_flags.h):
//
//   --listen=HOST:PORT          where to serve (each service has its own default port;
//                               port 0 picks a free one, see --port_file)
//   --port_file=PATH            write the port actually bound here once serving
//   --storage=URL               sqlite:///path/x.db, sqlite::memory: or
//                               postgres://user@host:port/db (storage_url.h); default
//                               sqlite://<service>.db in the working directory
//   --drain_timeout=10s         how long in-flight requests may finish on SIGTERM
//   --log_format=json           json | text
//   --enable_fault_injection    honour x-baton-fault (fault_injection.h); off by default
//   --metrics_listen=HOST:PORT  serve /metrics (Prometheus) and /healthz over HTTP; off
//                               when empty
//   --metrics_port_file=PATH    write the metrics port actually bound here
//   --max_message_bytes=4MiB    largest message received (server and outbound calls)
//   --max_metadata_bytes=16KiB  largest metadata accepted (server and outbound calls)
//   --max_reconnect_backoff=2s  longest pause between reconnects to a peer service
#ifndef BATON_COMMON_RUNTIME_SERVICE_FLAGS_H_
#define BATON_COMMON_RUNTIME_SERVICE_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"
#include "absl/time/time.h"

ABSL_DECLARE_FLAG(std::string, listen);
ABSL_DECLARE_FLAG(std::string, port_file);
ABSL_DECLARE_FLAG(std::string, storage);
ABSL_DECLARE_FLAG(absl::Duration, drain_timeout);
ABSL_DECLARE_FLAG(std::string, log_format);
ABSL_DECLARE_FLAG(bool, enable_fault_injection);
ABSL_DECLARE_FLAG(std::string, metrics_listen);
ABSL_DECLARE_FLAG(std::string, metrics_port_file);
ABSL_DECLARE_FLAG(int32_t, max_message_bytes);
ABSL_DECLARE_FLAG(int32_t, max_metadata_bytes);
ABSL_DECLARE_FLAG(absl::Duration, max_reconnect_backoff);

#endif  // BATON_COMMON_RUNTIME_SERVICE_FLAGS_H_
