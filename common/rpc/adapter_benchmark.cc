// Adapter overhead: unary QPS of a server whose trivial handler runs through the
// ServerAdapter (Context, metadata table, admission, worker pool, trail, log record)
// against a bare gRPC callback server running the same handler, with the same client
// in the same run. Rounds alternate so that machine noise hits both alike.
//
// Each server lives in a child process of its own pinned to CPU 0; the client is pinned
// to CPU 1.
// The server's core is the bottleneck, so QPS measures what each server spends per
// request — which is what the adapter adds.
//
//   bazel run -c opt //common/rpc:adapter_benchmark -- [--seconds=3] [--rounds=5]
//       [--concurrency=64] [--workers=2] [--log] [--only=bare|adapter]
//       [--batch_scheduling=0]  (the adapter's pollers and workers keep the default
//                                 policy; common/context/thread_scheduling.h)
//
// --only measures one of the two servers alone (no ratio): for profiling its process
// (perf -p) without the client alternating between the two.
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "baton/testing/v1/hop.grpc.pb.h"
#include "common/rpc/server_adapter.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"

namespace baton::rpc {
namespace {

using baton::testing::v1::HopRequest;
using baton::testing::v1::HopResponse;
using baton::testing::v1::HopService;

void Trivial(HopResponse& response) { response.add_hops()->set_service("leaf"); }

class BareService final : public HopService::CallbackService {
  grpc::ServerUnaryReactor* Hop(grpc::CallbackServerContext* call, const HopRequest*,
                                HopResponse* response) override {
    Trivial(*response);
    grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

class AdaptedService final : public HopService::CallbackService {
 public:
  explicit AdaptedService(ServerAdapter* adapter) {
    adapter->ServeUnary<HopRequest, HopResponse>(
        this, HopService::service_full_name(), "Hop",
        [](const Context&, const HopRequest&, HopResponse& resp) {
          Trivial(resp);
          return absl::OkStatus();
        });
  }
};

struct Server {
  ServerAdapter::Server server;
  std::string address;
};

// `adapter`, if any, builds the server (it serves the service's unary method).
Server Start(grpc::Service* service, ServerAdapter* adapter = nullptr) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service);
  Server out;
  out.server = ServerAdapter::StartServer(builder, adapter);
  out.address = "127.0.0.1:" + std::to_string(port);
  return out;
}

// Closed loop: `concurrency` calls always outstanding, each completion starts the next.
class Load {
 public:
  Load(const std::string& address, int concurrency, absl::Duration duration)
      : stub_(HopService::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
        concurrency_(concurrency),
        end_(absl::Now() + duration) {}

  double Run() {
    const absl::Time start = absl::Now();
    for (int i = 0; i < concurrency_; ++i) StartOne();
    all_done_.WaitForNotification();
    // A StartOne run from a completion may still hold copies of its callback (and so
    // a ClientContext) on gRPC's thread; the channel must outlive them (see below).
    while (starting_.load() > 0) absl::SleepFor(absl::Microseconds(100));
    return completed_.load() / absl::ToDoubleSeconds(absl::Now() - start);
  }
  int64_t completed() const { return completed_.load(); }

 private:
  struct Slot {
    grpc::ClientContext context;
    HopRequest request;
    HopResponse response;
  };

  void StartOne() {
    starting_.fetch_add(1);
    auto slot = std::make_shared<Slot>();
    slot->context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    stub_->async()->Hop(&slot->context, &slot->request, &slot->response,
                        [this, slot](grpc::Status status) mutable {
                          // The context goes before Run() can return (architecture.md:
                          // no channel is released last on gRPC's thread).
                          slot.reset();
                          if (status.ok()) completed_.fetch_add(1);
                          if (absl::Now() < end_) {
                            StartOne();
                          } else if (outstanding_done_.fetch_add(1) + 1 == concurrency_) {
                            all_done_.Notify();
                          }
                        });
    starting_.fetch_sub(1);  // The stub has let go of its copies of the callback.
  }

  std::unique_ptr<HopService::Stub> stub_;
  const int concurrency_;
  const absl::Time end_;
  std::atomic<int64_t> completed_{0};
  std::atomic<int> outstanding_done_{0};
  std::atomic<int> starting_{0};
  absl::Notification all_done_;
};

int64_t FlagValue(int argc, char** argv, const char* name, int64_t fallback) {
  const std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < argc; ++i) {
    int64_t value = 0;
    if (absl::StartsWith(argv[i], prefix) &&
        absl::SimpleAtoi(argv[i] + prefix.size(), &value)) {
      return value;
    }
  }
  return fallback;
}

std::string StringFlag(int argc, char** argv, const char* name) {
  const std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (absl::StartsWith(argv[i], prefix)) return argv[i] + prefix.size();
  }
  return "";
}

bool HasFlag(int argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == std::string("--") + name) return true;
  }
  return false;
}

// CPU seconds (user + system) the process has used so far.
double CpuSeconds(pid_t pid) {
  FILE* stat = std::fopen(absl::StrCat("/proc/", pid, "/stat").c_str(), "r");
  if (stat == nullptr) return 0;
  char buffer[1024] = {};
  const size_t n = std::fread(buffer, 1, sizeof(buffer) - 1, stat);
  std::fclose(stat);
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const char* rest = std::strrchr(buffer, ')');
  if (rest == nullptr || n == 0) return 0;
  unsigned long utime = 0, stime = 0;
  if (std::sscanf(rest + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                  &stime) != 2) {
    return 0;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// One timed round against one server: calls per second, and the server process's CPU
// time per call (microseconds), which machine noise disturbs far less than QPS.
struct Round {
  double qps = 0;
  double cpu_us_per_call = 0;
};

Round Measure(const std::string& address, int concurrency, absl::Duration seconds,
              pid_t server) {
  Load load(address, concurrency, seconds);
  const double cpu_before = CpuSeconds(server);
  Round round;
  round.qps = load.Run();
  const double cpu = CpuSeconds(server) - cpu_before;
  round.cpu_us_per_call = load.completed() > 0 ? cpu * 1e6 / load.completed() : 0;
  return round;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

void PinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof(set), &set);
}

// A server process: starts the bare server or the adapted one (`adapted`), writes its
// address and a newline to `report_fd`, and serves until killed. Each server has a
// process of its own, so that neither's threads take part in the other's work: gRPC
// polls all of a process's connections from one epoll set, on whichever thread waits.
int Serve(int argc, char** argv, bool adapted, int report_fd) {
  PinTo(0);
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const bool log = HasFlag(argc, argv, "log");
  ServerAdapter::Options options;
  options.policy.service_name = "bench";
  options.pool.threads = static_cast<int>(FlagValue(argc, argv, "workers", 8));
  options.pool.batch_scheduling = FlagValue(argc, argv, "batch_scheduling", 1) != 0;
  options.pool.queue_bound = 4096;
  options.pool.shed_threshold = 4096;
  if (log) {
    // The full cost of building and serializing the line, without the terminal's.
    options.log_sink = [](const RequestLog& line) {
      static std::atomic<size_t> sink{0};
      sink.fetch_add(ToJson(line).size(), std::memory_order_relaxed);
    };
  } else {
    options.log_sink = nullptr;
  }
  // Only the process that serves through the adapter has one (and its threads).
  BareService bare;
  std::unique_ptr<ServerAdapter> adapter;
  std::unique_ptr<AdaptedService> adapted_service;
  if (adapted) {
    adapter = std::make_unique<ServerAdapter>(options);
    adapted_service = std::make_unique<AdaptedService>(adapter.get());
  }
  Server server = adapted ? Start(adapted_service.get(), adapter.get()) : Start(&bare);
  const std::string report = server.address + "\n";
  [[maybe_unused]] ssize_t written = write(report_fd, report.data(), report.size());
  close(report_fd);
  server.server->Wait();
  return 0;
}

// A server process started by ServeInChild: its pid and address (empty if it failed).
struct ServerProcess {
  pid_t pid = -1;
  std::string address;
};

ServerProcess ServeInChild(int argc, char** argv, bool adapted) {
  ServerProcess process;
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return process;
  process.pid = fork();
  if (process.pid == 0) {
    // Goes with this process, however that ends.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(pipe_fds[0]);
    _exit(Serve(argc, argv, adapted, pipe_fds[1]));
  }
  close(pipe_fds[1]);
  char buffer[256] = {};
  size_t got = 0;
  while (got < sizeof(buffer) - 1) {
    const ssize_t n = read(pipe_fds[0], buffer + got, sizeof(buffer) - 1 - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(pipe_fds[0]);
  const std::string text(buffer, got);
  const size_t newline = text.find('\n');
  if (newline != std::string::npos) process.address = text.substr(0, newline);
  return process;
}

void Stop(const ServerProcess& process) {
  if (process.pid <= 0) return;
  kill(process.pid, SIGKILL);
  waitpid(process.pid, nullptr, 0);
}

int Main(int argc, char** argv) {
  const absl::Duration seconds = absl::Seconds(FlagValue(argc, argv, "seconds", 3));
  const int rounds = static_cast<int>(FlagValue(argc, argv, "rounds", 5));
  const int concurrency = static_cast<int>(FlagValue(argc, argv, "concurrency", 64));
  const bool log = HasFlag(argc, argv, "log");
  const std::string only = StringFlag(argc, argv, "only");
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--only" || std::string(argv[i]) == "--only=") {
      std::fprintf(stderr, "--only takes a value: --only=bare or --only=adapter\n");
      return 2;
    }
  }
  if (!only.empty() && only != "bare" && only != "adapter") {
    std::fprintf(stderr, "--only must be bare or adapter, not %s\n", only.c_str());
    return 2;
  }
  if (const std::string batch = StringFlag(argc, argv, "batch_scheduling");
      !batch.empty() && batch != "0" && batch != "1") {
    std::fprintf(stderr, "--batch_scheduling must be 0 or 1, not %s\n", batch.c_str());
    return 2;
  }

  // Both before this process pins itself to CPU 1: each child pins itself to CPU 0.
  const ServerProcess bare = ServeInChild(argc, argv, /*adapted=*/false);
  const ServerProcess adapted = ServeInChild(argc, argv, /*adapted=*/true);
  if (bare.address.empty() || adapted.address.empty()) {
    std::fprintf(stderr, "server process did not start\n");
    Stop(bare);
    Stop(adapted);
    return 1;
  }
  PinTo(1);

  // Warm both up.
  Load(bare.address, concurrency, absl::Milliseconds(500)).Run();
  Load(adapted.address, concurrency, absl::Milliseconds(500)).Run();

  std::vector<double> bare_qps, adapted_qps, ratios, bare_cpu, adapted_cpu, cpu_ratios;
  if (!only.empty()) {
    const ServerProcess& server = only == "bare" ? bare : adapted;
    for (int round = 0; round < rounds; ++round) {
      const Round r = Measure(server.address, concurrency, seconds, server.pid);
      std::printf("round %d: %s %.0f qps %.1f us cpu/call\n", round + 1, only.c_str(), r.qps,
                  r.cpu_us_per_call);
    }
    Stop(bare);
    Stop(adapted);
    return 0;
  }
  for (int round = 0; round < rounds; ++round) {
    const Round b = Measure(bare.address, concurrency, seconds, bare.pid);
    const Round a = Measure(adapted.address, concurrency, seconds, adapted.pid);
    bare_qps.push_back(b.qps);
    adapted_qps.push_back(a.qps);
    ratios.push_back(a.qps / b.qps);
    bare_cpu.push_back(b.cpu_us_per_call);
    adapted_cpu.push_back(a.cpu_us_per_call);
    cpu_ratios.push_back(b.cpu_us_per_call / a.cpu_us_per_call);
    std::printf(
        "round %d: bare %.0f qps %.1f us cpu/call, adapter %.0f qps %.1f us cpu/call, "
        "qps ratio %.3f, cpu ratio %.3f\n",
        round + 1, b.qps, b.cpu_us_per_call, a.qps, a.cpu_us_per_call, a.qps / b.qps,
        b.cpu_us_per_call / a.cpu_us_per_call);
  }
  std::printf(
      "median: bare %.0f qps %.1f us cpu/call, adapter %.0f qps %.1f us cpu/call; "
      "qps ratio %.3f, cpu ratio (bare/adapter) %.3f (concurrency %d, %d workers%s)\n",
      Median(bare_qps), Median(bare_cpu), Median(adapted_qps), Median(adapted_cpu),
      Median(ratios), Median(cpu_ratios), concurrency,
      static_cast<int>(FlagValue(argc, argv, "workers", 8)), log ? ", request log on" : "");
  Stop(bare);
  Stop(adapted);
  return 0;
}

}  // namespace
}  // namespace baton::rpc

int main(int argc, char** argv) { return baton::rpc::Main(argc, argv); }
