#include "common/runtime/service_main.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/context/thread_scheduling.h"
#include "common/rpc/json_object.h"
#include "common/rpc/metadata_table.h"
#include "common/runtime/adapter_flags.h"
#include "common/runtime/allocator_policy.h"
#include "common/runtime/fault_injection.h"
#include "common/runtime/health_service.h"
#include "common/runtime/hooked_database.h"
#include "common/runtime/metrics/metrics_http_server.h"
#include "common/runtime/metrics/metrics_registry.h"
#include "common/runtime/service_flags.h"
#include "common/runtime/service_metrics.h"
#include "common/runtime/shutdown_signal.h"
#include "common/runtime/tls_flags.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"

namespace baton::runtime {
namespace {

constexpr absl::Duration kMigrationBudget = absl::Seconds(60);
// After the drain timeout cancels the stragglers' Contexts, how long they get to
// answer before the server closes.
constexpr absl::Duration kAnswerGrace = absl::Seconds(1);

bool TextLogs() { return absl::GetFlag(FLAGS_log_format) == "text"; }

int Fail(std::string_view service, int code, const absl::Status& status) {
  LogEvent(service, "failed", {{"error", status.ToString()}});
  return code;
}

absl::Status WritePortFile(const std::string& path, int port) {
  const std::string partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::trunc);
    out << port << "\n";
    if (!out.good()) return absl::UnavailableError("cannot write the port file " + path);
  }
  // Readers never see a half-written file.
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError("cannot write the port file " + path);
  }
  return absl::OkStatus();
}

absl::Status CheckTransportFlags() {
  if (absl::GetFlag(FLAGS_max_message_bytes) <= 0) {
    return absl::InvalidArgumentError("--max_message_bytes: must be positive");
  }
  if (absl::GetFlag(FLAGS_max_metadata_bytes) < 1024) {
    return absl::InvalidArgumentError("--max_metadata_bytes: must be at least 1024");
  }
  if (absl::GetFlag(FLAGS_max_reconnect_backoff) < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError("--max_reconnect_backoff: must be at least 100ms");
  }
  return absl::OkStatus();
}

absl::StatusOr<rpc::ServerAdapter::Options> AdapterOptions(const ServiceDefinition& definition,
                                                           const FaultInjector* faults,
                                                           ServiceMetrics* metrics) {
  absl::StatusOr<rpc::ServerAdapter::Options> options = AdapterOptionsFromFlags(definition.name);
  if (!options.ok()) return options.status();
  const std::string format = absl::GetFlag(FLAGS_log_format);
  if (format != "json" && format != "text") {
    return absl::InvalidArgumentError("--log_format: must be json or text, not \"" + format + "\"");
  }
  options->log_sink = [write = TextLogs() ? rpc::LogTextToStderr : rpc::LogToStderr,
                       metrics](const rpc::RequestLog& log) {
    write(log);
    metrics->RecordRequest(log);
  };
  options->policy.metadata.edge = definition.edge;
  if (faults != nullptr) {
    options->policy.metadata.allowlist.emplace_back(rpc::kFaultHeader);
    options->before_handler = [faults](const Context& ctx, std::string_view) {
      return faults->Inject(ctx, FaultPoint::kHandler);
    };
    options->after_handler = [faults](const Context& ctx, std::string_view) {
      return faults->Inject(ctx, FaultPoint::kReply);
    };
  }
  return options;
}

absl::StatusOr<std::unique_ptr<HookedDatabase>> OpenStorage(const ServiceDefinition& definition,
                                                            const FaultInjector* faults,
                                                            ServiceMetrics* metrics) {
  std::string url = absl::GetFlag(FLAGS_storage);
  if (url.empty()) url = absl::StrCat("sqlite://", definition.name, ".db");
  absl::StatusOr<std::unique_ptr<storage::Database>> database = storage::OpenDatabase(url);
  if (!database.ok()) {
    return absl::Status(database.status().code(),
                        absl::StrCat("--storage=", url, ": ", database.status().message()));
  }
  auto [ctx, cancel] = WithTimeout(Background(), kMigrationBudget);
  if (absl::Status migrated = storage::ApplyMigrations(ctx, **database, definition.migrations);
      !migrated.ok()) {
    return migrated;
  }
  HookedDatabase::Hooks hooks;
  if (faults != nullptr) {
    hooks.before = [faults](const Context& ctx) {
      return faults->Inject(ctx, FaultPoint::kStorage);
    };
  }
  hooks.after = [metrics](std::string_view operation, absl::Duration took,
                          const absl::Status& status) {
    metrics->RecordStorage(operation, took, status);
  };
  return std::make_unique<HookedDatabase>(*std::move(database), std::move(hooks));
}

}  // namespace

void LogEvent(std::string_view service, std::string_view event,
              const std::vector<std::pair<std::string, std::string>>& fields) {
  if (TextLogs()) {
    std::string line = absl::StrCat(rpc::FormatLogTime(absl::Now()), " ", std::string(service), " ",
                                    std::string(event));
    for (const auto& [name, value] : fields) absl::StrAppend(&line, " ", name, "=", value);
    rpc::WriteLineToStderr(std::move(line));
    return;
  }
  rpc::JsonObject line;
  line.Add("time", rpc::FormatLogTime(absl::Now())).Add("service", service).Add("event", event);
  for (const auto& [name, value] : fields) line.Add(name, value);
  rpc::WriteLineToStderr(line.Build());
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> ServiceEnvironment::Dial(
    std::string_view flag, const std::string& address) const {
  if (address.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", std::string(flag), " is required"));
  }
  grpc::ChannelArguments args;
  // Keep connections to peers alive through idle NATs and meshes, and notice dead ones.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  // gRPC's own cap is two minutes: a peer back from a restart would sit unused that long.
  const int backoff_ms =
      static_cast<int>(absl::ToInt64Milliseconds(absl::GetFlag(FLAGS_max_reconnect_backoff)));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, backoff_ms);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, std::min(backoff_ms, 1000));
  args.SetMaxReceiveMessageSize(absl::GetFlag(FLAGS_max_message_bytes));
  args.SetInt(GRPC_ARG_MAX_METADATA_SIZE, absl::GetFlag(FLAGS_max_metadata_bytes));
  if (!client_tls.target_name.empty()) {
    args.SetSslTargetNameOverride(client_tls.target_name);
  }
  return grpc::CreateCustomChannel(address, client_tls.credentials, args);
}

int RunService(const ServiceDefinition& definition, int argc, char** argv) {
  // Before any thread exists, so that every thread inherits the blocked signals.
  ShutdownSignal shutdown;
  const std::string allocator = ApplyAllocatorPolicy();
  // OpenSSL's atexit cleanup frees its locks while gRPC's executor threads may still
  // use them (found by TSan at the exit of a TLS-serving process); the process is
  // ending, so the cleanup buys nothing.
  OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr);
  absl::SetProgramUsageMessage(
      absl::StrCat(definition.summary, "\n\nUsage: ", argv[0],
                   " [--listen=HOST:PORT] [--storage=URL] [flags]; --helpfull lists every flag."));
  absl::ParseCommandLine(argc, argv);
  // gRPC's locks are Abseil's; the deadlock detector costs every lock tens of ns.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  const std::string& name = definition.name;
  std::unique_ptr<FaultInjector> faults;
  if (absl::GetFlag(FLAGS_enable_fault_injection)) {
    faults = std::make_unique<FaultInjector>(name);
  }
  MetricsRegistry registry;
  ServiceMetrics metrics(&registry);
  absl::StatusOr<rpc::ServerAdapter::Options> options =
      AdapterOptions(definition, faults.get(), &metrics);
  if (!options.ok()) return Fail(name, 2, options.status());
  if (absl::Status checked = CheckTransportFlags(); !checked.ok()) return Fail(name, 2, checked);
  // Said when serving starts: a machine that refuses the policy changes the figures of
  // docs/benchmarks.md §8, not what the service answers.
  const char* batch_scheduling = !options->pool.batch_scheduling ? "off"
                                 : BatchSchedulingAllowed()      ? "on"
                                                                 : "refused by this machine";
  rpc::ServerAdapter adapter(*std::move(options));
  metrics.Observe(&adapter);

  std::unique_ptr<HookedDatabase> database;
  if (!definition.migrations.empty()) {
    absl::StatusOr<std::unique_ptr<HookedDatabase>> opened =
        OpenStorage(definition, faults.get(), &metrics);
    if (!opened.ok()) return Fail(name, 1, opened.status());
    database = *std::move(opened);
    metrics.ObserveStorage(database.get());
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> server_credentials =
      ServerCredentialsFromFlags();
  if (!server_credentials.ok()) return Fail(name, 2, server_credentials.status());
  absl::StatusOr<ClientTls> client_tls = ClientTlsFromFlags();
  if (!client_tls.ok()) return Fail(name, 2, client_tls.status());
  BackgroundWork background({});
  const ServiceEnvironment env{name, &adapter, database.get(), &background, *client_tls};
  if (definition.command) {
    if (std::optional<int> code = definition.command(env)) return *code;
  }

  absl::StatusOr<std::vector<std::unique_ptr<grpc::Service>>> services = definition.build(env);
  if (!services.ok()) return Fail(name, 2, services.status());

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  HealthService health;
  std::string listen = absl::GetFlag(FLAGS_listen);
  if (listen.empty()) listen = definition.default_listen;
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(absl::GetFlag(FLAGS_max_message_bytes));
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, absl::GetFlag(FLAGS_max_metadata_bytes));
  int port = 0;
  builder.AddListeningPort(listen, *server_credentials, &port);
  builder.RegisterService(&health);
  for (const auto& service : *services) builder.RegisterService(service.get());
  rpc::ServerAdapter::Server server = adapter.BuildAndStart(builder);
  if (server == nullptr || port == 0) {
    return Fail(name, 1, absl::UnavailableError("cannot listen on " + listen));
  }
  for (const std::string& service : definition.grpc_services) {
    health.SetStatus(service, grpc::health::v1::HealthCheckResponse::SERVING);
  }
  health.SetStatus("", grpc::health::v1::HealthCheckResponse::SERVING);
  std::atomic<bool> serving{true};
  std::unique_ptr<MetricsHttpServer> metrics_server;
  if (const std::string metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
      !metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsHttpServer>> started =
        MetricsHttpServer::Start(metrics_listen, &registry, [&serving] { return serving.load(); });
    if (!started.ok()) {
      server->Shutdown();
      return Fail(name, 1, started.status());
    }
    metrics_server = *std::move(started);
    if (const std::string path = absl::GetFlag(FLAGS_metrics_port_file); !path.empty()) {
      if (absl::Status written = WritePortFile(path, metrics_server->port()); !written.ok()) {
        server->Shutdown();
        return Fail(name, 1, written);
      }
    }
  }
  // Last: whoever waits for this file may use every port at once.
  if (const std::string path = absl::GetFlag(FLAGS_port_file); !path.empty()) {
    if (absl::Status written = WritePortFile(path, port); !written.ok()) {
      server->Shutdown();
      return Fail(name, 1, written);
    }
  }
  LogEvent(name, "serving",
           {{"listen", listen},
            {"port", absl::StrCat(port)},
            {"metrics_port", metrics_server ? absl::StrCat(metrics_server->port()) : "off"},
            {"batch_scheduling", batch_scheduling},
            {"allocator", allocator}});

  const std::string why = shutdown.Wait();
  const absl::Duration drain = absl::GetFlag(FLAGS_drain_timeout);
  const absl::Time drain_deadline = absl::Now() + drain;
  LogEvent(name, "draining",
           {{"signal", why},
            {"in_flight", absl::StrCat(adapter.in_flight())},
            {"drain_timeout", absl::FormatDuration(drain)}});
  // Refusing first: whoever sees NOT_SERVING and calls anyway is refused, not served.
  adapter.StartDraining(absl::UnavailableError(absl::StrCat(name, " is shutting down")));
  serving = false;
  health.Shutdown();
  if (!adapter.WaitForIdle(drain_deadline)) {
    LogEvent(name, "drain_timeout", {{"in_flight", absl::StrCat(adapter.in_flight())}});
    adapter.CancelInFlight(absl::UnavailableError(absl::StrCat(
        name, " is shutting down: the ", absl::FormatDuration(drain), " drain timeout passed")));
    adapter.WaitForIdle(absl::Now() + kAnswerGrace);
  }
  if (const size_t dropped = background.Drain(std::max(drain_deadline, absl::Now() + kAnswerGrace));
      dropped > 0) {
    LogEvent(name, "background_work_dropped", {{"tasks", absl::StrCat(dropped)}});
  }
  // Nothing left worth waiting for: gRPC would otherwise wait for idle clients to
  // close their connections, up to the deadline.
  server->Shutdown(std::chrono::system_clock::now());
  server->Wait();
  LogEvent(name, "stopped");
  return 0;
}

}  // namespace baton::runtime
