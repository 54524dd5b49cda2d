// RunService: the main() of every Baton service. A service declares what it is; the
// runtime does the rest, the same way for all of them:
//
//   int main(int argc, char** argv) {
//     return baton::runtime::RunService(
//         {.name = "catalog", .summary = "...", .default_listen = "127.0.0.1:50051",
//          .grpc_services = {"baton.catalog.v1.CatalogService"},
//          .migrations = catalog::Schema(),
//          .build = [](const ServiceEnvironment& env) { ... }},
//         argc, argv);
//   }
//
// In order:
//   1. SIGTERM/SIGINT are blocked (shutdown_signal.h) before any thread starts, and
//      the allocator policy is applied (allocator_policy.h).
//   2. Flags are parsed (service_flags.h, adapter_flags.h); a bad one exits 2 naming it.
//   3. Storage (when migrations are declared) is opened from --storage and migrated;
//      failure exits 1.
//   4. `command`, if given and it returns an exit code, runs instead of serving.
//   5. The server starts on --listen with the services, grpc.health.v1 (SERVING for ""
//      and each declared service) and server reflection; --port_file gets the port.
//   6. On SIGTERM/SIGINT: health turns NOT_SERVING (Watch streams end), new requests
//      are refused with UNAVAILABLE so that clients retry elsewhere, and in-flight
//      requests get up to --drain_timeout to finish; then their Contexts are cancelled
//      (UNAVAILABLE: shutting down); background work (cleanups owed by finished
//      requests) gets what is left of the drain; the server closes; exit 0.
// Every step logs one line (JSON, or text with --log_format=text) on stderr; so does
// every request.
#ifndef BATON_COMMON_RUNTIME_SERVICE_MAIN_H_
#define BATON_COMMON_RUNTIME_SERVICE_MAIN_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/rpc/server_adapter.h"
#include "common/runtime/background_work.h"
#include "common/runtime/tls_flags.h"
#include "common/storage/database.h"
#include "common/storage/migrations.h"
#include "grpcpp/channel.h"
#include "grpcpp/impl/service_type.h"

namespace baton::runtime {

// What a service gets to build itself with. Everything lives until the process exits.
struct ServiceEnvironment {
  std::string name;
  rpc::ServerAdapter* adapter = nullptr;
  // Null when the service declared no migrations (it keeps no data).
  storage::Database* database = nullptr;
  // For work owed after an answer (background_work.h); drained at shutdown after the
  // last request, before the services are destroyed.
  BackgroundWork* background = nullptr;
  // How Dial() connects: plaintext, or TLS / mTLS from the flags (tls_flags.h).
  ClientTls client_tls;

  // A channel to a downstream service. INVALID_ARGUMENT names `flag` when the address
  // is empty.
  absl::StatusOr<std::shared_ptr<grpc::Channel>> Dial(std::string_view flag,
                                                      const std::string& address) const;
};

struct ServiceDefinition {
  std::string name;
  // The first paragraph of --help.
  std::string summary = "";
  std::string default_listen = "";
  // Full names of the gRPC services it serves, for grpc.health.v1.
  std::vector<std::string> grpc_services = {};
  // The public edge (the gateway): internal headers from clients are ignored.
  bool edge = false;
  // The schema; storage is opened only when this is not empty.
  std::vector<storage::Migration> migrations = {};
  std::function<absl::StatusOr<std::vector<std::unique_ptr<grpc::Service>>>(
      const ServiceEnvironment&)>
      build = nullptr;
  // A one-off administrative command (e.g. create an API key): when it returns an exit
  // code, the process exits with it instead of serving.
  std::function<std::optional<int>(const ServiceEnvironment&)> command = nullptr;
};

int RunService(const ServiceDefinition& definition, int argc, char** argv);

// One JSON (or text) line on stderr about the service itself: {"service":..,"event":..}.
void LogEvent(std::string_view service, std::string_view event,
              const std::vector<std::pair<std::string, std::string>>& fields = {});

}  // namespace baton::runtime

#endif  // BATON_COMMON_RUNTIME_SERVICE_MAIN_H_
