// Adapter overhead: unary QPS of a server whose trivial handler runs through the
// ServerAdapter (Context, metadata table, admission, worker pool, trail, log record)
// against a bare gRPC callback server running the same handler, with the same client
// in the same run. Rounds alternate, and which server goes first in a round, so that
// machine noise hits both alike.
//
// Each server lives in a process of its own pinned to CPU 0 (this binary run again with
// --serve=bare|adapter; common/testing/server_process.h); the client is pinned to CPU
// 1. The client is h2load (common/testing/h2load_client.h), which spends less per call
// than either server, so that the server's core is the bottleneck and QPS measures
// what each server spends per request — which is what the adapter adds. With
// --client=grpc the client is a C++ gRPC callback client instead, which spends about
// as much per call as the servers: its QPS measures the client about as much as the
// server (each round prints both sides' CPU per call). After each h2load round the
// server says how many calls it refused, since h2load reads HTTP statuses only. Both
// server processes apply the services' allocator policy (common/runtime/allocator_policy.h).
//
//   bazel run -c opt //common/rpc:adapter_benchmark -- [--seconds=3] [--rounds=5]
//       [--concurrency=64] [--workers=2] [--log] [--only=bare|adapter]
//       [--client=h2load|grpc]
//       [--batch_scheduling=0]  (the adapter's pollers and workers keep the default
//                                 policy; common/context/thread_scheduling.h)
//
// --only measures one of the two servers alone (no ratio): for profiling its process
// (perf -p) without the client alternating between the two.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "baton/testing/v1/hop.grpc.pb.h"
#include "common/rpc/server_adapter.h"
#include "common/runtime/allocator_policy.h"
#include "common/testing/bench_flags.h"
#include "common/testing/h2load_client.h"
#include "common/testing/server_process.h"
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
  int64_t failed() const { return failed_.load(); }

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
                          if (status.ok()) {
                            completed_.fetch_add(1);
                          } else {
                            failed_.fetch_add(1);
                          }
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
  std::atomic<int64_t> failed_{0};
  std::atomic<int> outstanding_done_{0};
  std::atomic<int> starting_{0};
  absl::Notification all_done_;
};

using testing::BenchFlags;
using testing::FlagKind;

// Every flag, the server processes' too: an unknown one is refused, not passed on.
const std::vector<testing::FlagSpec> kFlags = {
    {"seconds", FlagKind::kNumber, 0.1},
    {"rounds", FlagKind::kWholeNumber, 1},
    {"concurrency", FlagKind::kWholeNumber, 1},
    {"workers", FlagKind::kWholeNumber, 1},
    {"batch_scheduling", FlagKind::kWholeNumber, 0, {"0", "1"}},
    {"log", FlagKind::kSwitch},
    {"only", FlagKind::kText, 0, {"bare", "adapter"}},
    {"client", FlagKind::kText, 0, {"h2load", "grpc"}},
    {"serve", FlagKind::kText, 0, {"bare", "adapter"}}};

// The flags a server process reads, passed on to it (and no other: the client's must
// not reach it).
constexpr const char* kServerFlags[] = {"workers", "batch_scheduling", "log"};

// A server in a process of its own (ServeInProcess), and where it listens.
struct ServedFrom {
  std::unique_ptr<testing::ServerProcess> process;
  std::string address;
};

// What the adapter answered without running the handler, by reason, since it
// started: "expired_on_arrival=0 below_min_budget=0 ..." (the bare server: "none").
std::string Refused(const ServerAdapter& adapter) {
  const ServerStats& stats = adapter.stats();
  const std::pair<const char*, uint64_t> reasons[] = {
      {"expired_on_arrival", stats.expired_on_arrival},
      {"below_min_budget", stats.below_min_budget},
      {"shed", stats.shed},
      {"queue_full", stats.queue_full},
      {"queue_behind", stats.queue_behind},
      {"draining", stats.refused_draining},
      {"expired_in_queue", adapter.pool().expired_in_queue()},
      {"late_in_queue", adapter.pool().late_in_queue()}};
  std::string answer;
  for (const auto& [reason, count] : reasons) {
    absl::StrAppend(&answer, answer.empty() ? "" : " ", reason, "=", count);
  }
  return answer;
}

// Refused calls by reason (Refused's answer, read back).
using RefusedCalls = std::map<std::string, uint64_t>;

absl::StatusOr<RefusedCalls> RefusedSoFar(const ServedFrom& server) {
  absl::StatusOr<std::string> answer = server.process->Ask("refused");
  if (!answer.ok()) return answer.status();
  RefusedCalls refused;
  if (*answer == "none") return refused;  // The bare server: it refuses nothing.
  for (absl::string_view pair : absl::StrSplit(*answer, ' ', absl::SkipEmpty())) {
    const std::pair<std::string, std::string> reason_count = absl::StrSplit(pair, '=');
    if (!absl::SimpleAtoi(reason_count.second, &refused[reason_count.first])) {
      return absl::InternalError(absl::StrCat("server answered \"", *answer, "\""));
    }
  }
  return refused;
}

// The refusals of one round that answered a call h2load counts, named by reason; empty
// if none. Calls dropped from the queue because they were done (expired_in_queue) are
// named but not counted: with budgets of 5 s they are calls whose caller went — h2load
// ends each round by closing its connection with calls in flight — and h2load counts
// none of them.
std::string RefusedInRound(const RefusedCalls& before, const RefusedCalls& after) {
  uint64_t counted = 0;
  std::string by_reason;
  for (const auto& [reason, count] : after) {
    const auto it = before.find(reason);
    const uint64_t in_round = count - (it == before.end() ? 0 : it->second);
    if (in_round == 0) continue;
    if (reason != "expired_in_queue") counted += in_round;
    absl::StrAppend(&by_reason, by_reason.empty() ? "" : ", ", reason, "=", in_round);
  }
  return counted == 0 ? "" : by_reason;
}

// One timed round against one server: calls per second, and the server process's CPU
// time per call (microseconds), which machine noise disturbs far less than QPS.
// The client's too (this process): it has a CPU of its own, and when that CPU is near
// full the client bounds QPS as much as the server does.
struct Round {
  // From the round's totals: the server's and the client's CPU seconds over `calls`.
  static Round Of(double qps, double calls, double server_cpu, double client_cpu) {
    if (calls <= 0) return Round{qps, 0, 0};
    return Round{qps, server_cpu * 1e6 / calls, client_cpu * 1e6 / calls};
  }

  double qps = 0;
  double cpu_us_per_call = 0;
  double client_us_per_call = 0;
};

double ClientCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return absl::ToDoubleSeconds(absl::DurationFromTimeval(usage.ru_utime) +
                               absl::DurationFromTimeval(usage.ru_stime));
}

Round Measure(const ServedFrom& server, int concurrency, absl::Duration seconds) {
  Load load(server.address, concurrency, seconds);
  const double cpu_before = server.process->CpuSeconds();
  const double client_before = ClientCpuSeconds();
  const double qps = load.Run();
  return Round::Of(qps, static_cast<double>(load.completed()),
                   server.process->CpuSeconds() - cpu_before,
                   ClientCpuSeconds() - client_before);
}

// The same round with h2load as the client, on CPU 1.
absl::StatusOr<Round> MeasureWithH2load(const ServedFrom& server, int concurrency,
                                        absl::Duration seconds) {
  const std::string method = absl::StrCat("/", HopService::service_full_name(), "/Hop");
  absl::StatusOr<RefusedCalls> refused_before = RefusedSoFar(server);
  if (!refused_before.ok()) return refused_before.status();
  const double cpu_before = server.process->CpuSeconds();
  absl::StatusOr<testing::H2loadRun> run = testing::RunH2loadUnary(
      server.address, method, HopRequest().SerializeAsString(), concurrency, seconds, /*cpu=*/1);
  if (!run.ok()) return run.status();
  const double cpu = server.process->CpuSeconds() - cpu_before;
  absl::StatusOr<RefusedCalls> refused_after = RefusedSoFar(server);
  if (!refused_after.ok()) return refused_after.status();
  if (const std::string refused = RefusedInRound(*refused_before, *refused_after);
      !refused.empty()) {
    return absl::InternalError(absl::StrCat("the server refused calls in the round (", refused,
                                            "); a refusal is not a call"));
  }
  // h2load's own time includes its start and its last, unanswered round; the server's
  // counts every call it answered, a few more than h2load counted done.
  return Round::Of(run->report.requests_per_second, static_cast<double>(run->report.done),
                   cpu, run->cpu_seconds);
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// --serve=bare|adapter: a server process (ServeInProcess). Starts the bare server or the
// adapted one, prints its address, and serves until its stdin closes.
int Serve(const BenchFlags& flags, bool adapted) {
  // Both servers use the allocator as the services do.
  runtime::ApplyAllocatorPolicy();
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const bool log = flags.Has("log");
  ServerAdapter::Options options;
  options.policy.service_name = "bench";
  options.pool.threads = static_cast<int>(flags.Number("workers", 8));
  options.pool.batch_scheduling = flags.Number("batch_scheduling", 1) != 0;
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
  std::printf("%s\n", server.address.c_str());
  std::fflush(stdout);
  // Asked after each round: the calls refused so far (none, for the bare server).
  testing::ServeLines([&adapter](const std::string&) {
    return adapter == nullptr ? std::string("none") : Refused(*adapter);
  });
  return 0;
}

// Each server has a process of its own on CPU 0, so that neither's threads take part in
// the other's work: gRPC polls all of a process's connections from one epoll set, on
// whichever thread waits. This binary again, with --serve and kServerFlags.
absl::StatusOr<ServedFrom> ServeInProcess(const BenchFlags& flags, const char* kind) {
  std::vector<std::string> args = {absl::StrCat("--serve=", kind)};
  for (const char* name : kServerFlags) {
    if (flags.Has(name)) args.push_back(flags.AsArgument(name));
  }
  absl::StatusOr<std::unique_ptr<testing::ServerProcess>> process =
      testing::ServerProcess::Start("/proc/self/exe", args, /*cpu=*/0);
  if (!process.ok()) return process.status();
  absl::StatusOr<std::string> address = (*process)->ReadLine();
  if (!address.ok()) return address.status();
  return ServedFrom{*std::move(process), *std::move(address)};
}

int Main(int argc, char** argv) {
  const BenchFlags flags = BenchFlags::ParseOrExit(argc, argv, kFlags);
  if (flags.Has("serve")) return Serve(flags, flags.Text("serve", "") == "adapter");
  const absl::Duration seconds = absl::Seconds(flags.Number("seconds", 3));
  const int rounds = static_cast<int>(flags.Number("rounds", 5));
  const int concurrency = static_cast<int>(flags.Number("concurrency", 64));
  const bool log = flags.Has("log");
  const std::string only = flags.Text("only", "");
  const std::string client = flags.Text("client", "h2load");
  if (client == "h2load" && !testing::FindH2load().has_value()) {
    std::fprintf(stderr,
                 "h2load is not installed (Debian package nghttp2-client: "
                 "tools/install_deps.sh bench); or measure with --client=grpc\n");
    return 2;
  }

  absl::StatusOr<ServedFrom> bare = ServeInProcess(flags, "bare");
  absl::StatusOr<ServedFrom> adapted = ServeInProcess(flags, "adapter");
  if (!bare.ok() || !adapted.ok()) {
    std::fprintf(stderr, "server process did not start: %s\n",
                 (bare.ok() ? adapted : bare).status().ToString().c_str());
    return 1;
  }
  testing::PinToCpu(1);

  // Warm both up, and check with a gRPC client that both answer OK: h2load reads
  // HTTP statuses only.
  for (const ServedFrom* server : {&*bare, &*adapted}) {
    Load warm_up(server->address, concurrency, absl::Milliseconds(500));
    warm_up.Run();
    if (warm_up.failed() > 0 || warm_up.completed() == 0) {
      std::fprintf(stderr, "%s answered %lld calls OK and failed %lld\n",
                   server == &*bare ? "bare" : "adapter",
                   static_cast<long long>(warm_up.completed()),
                   static_cast<long long>(warm_up.failed()));
      return 1;
    }
  }
  auto measure = [&](const ServedFrom& server) -> absl::StatusOr<Round> {
    if (client == "grpc") return Measure(server, concurrency, seconds);
    return MeasureWithH2load(server, concurrency, seconds);
  };
  auto failed = [](const absl::Status& status) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  };

  std::vector<double> bare_qps, adapted_qps, ratios, bare_cpu, adapted_cpu, cpu_ratios,
      bare_client, adapted_client;
  if (!only.empty()) {
    const ServedFrom& server = only == "bare" ? *bare : *adapted;
    for (int round = 0; round < rounds; ++round) {
      absl::StatusOr<Round> measured = measure(server);
      if (!measured.ok()) return failed(measured.status());
      const Round& r = *measured;
      std::printf("round %d: %s %.0f qps %.1f us cpu/call (client %.1f)\n", round + 1,
                  only.c_str(), r.qps, r.cpu_us_per_call, r.client_us_per_call);
    }
    return 0;
  }
  for (int round = 0; round < rounds; ++round) {
    // Which server goes first alternates too (the bare one, in round 1), so that
    // neither is always measured right after the other.
    const ServedFrom* order[] = {&*bare, &*adapted};
    if (round % 2 == 1) std::swap(order[0], order[1]);
    Round b, a;
    for (const ServedFrom* server : order) {
      absl::StatusOr<Round> measured = measure(*server);
      if (!measured.ok()) return failed(measured.status());
      (server == &*bare ? b : a) = *measured;
    }
    bare_qps.push_back(b.qps);
    adapted_qps.push_back(a.qps);
    ratios.push_back(a.qps / b.qps);
    bare_cpu.push_back(b.cpu_us_per_call);
    adapted_cpu.push_back(a.cpu_us_per_call);
    cpu_ratios.push_back(b.cpu_us_per_call / a.cpu_us_per_call);
    bare_client.push_back(b.client_us_per_call);
    adapted_client.push_back(a.client_us_per_call);
    std::printf(
        "round %d: bare %.0f qps %.1f us cpu/call (client %.1f), adapter %.0f qps %.1f us "
        "cpu/call (client %.1f), qps ratio %.3f, cpu ratio %.3f\n",
        round + 1, b.qps, b.cpu_us_per_call, b.client_us_per_call, a.qps, a.cpu_us_per_call,
        a.client_us_per_call, a.qps / b.qps, b.cpu_us_per_call / a.cpu_us_per_call);
  }
  std::printf(
      "median: bare %.0f qps %.1f us cpu/call (client %.1f), adapter %.0f qps %.1f us "
      "cpu/call (client %.1f); qps ratio %.3f, cpu ratio (bare/adapter) %.3f "
      "(concurrency %d, %d workers, client %s%s)\n",
      Median(bare_qps), Median(bare_cpu), Median(bare_client), Median(adapted_qps),
      Median(adapted_cpu), Median(adapted_client), Median(ratios), Median(cpu_ratios),
      concurrency,
      static_cast<int>(flags.Number("workers", 8)), client.c_str(),
      log ? ", request log on" : "");
  return 0;
}

}  // namespace
}  // namespace baton::rpc

int main(int argc, char** argv) { return baton::rpc::Main(argc, argv); }
