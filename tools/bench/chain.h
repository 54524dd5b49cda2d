// Chains of ChainService hops for benchmarks, built four ways: on the adapter twice
// (ServeUnary + Call, blocking a worker; ServeUnaryAsync + CallAsync), and on raw gRPC
// twice — a synchronous service making a blocking outbound call, and a callback
// service making an asynchronous one. Raw hops call on with a plain ClientContext:
// they know nothing of their caller's deadline, as a service written without the
// adapter does unless told to.
//
// Each hop spins for the request's `work_us` of its own thread's CPU time, then calls
// the next hop. The adapter's hops stop spinning when their Context is done; raw hops
// cannot. Every hop counts the CPU it spent spinning after the first caller's deadline
// (carried in the request), into a WasteCounter shared by the chain.
//
// Thread safety: the counters are atomics; a chain is built and torn down by one thread.
#ifndef BATON_TOOLS_BENCH_CHAIN_H_
#define BATON_TOOLS_BENCH_CHAIN_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "baton/testing/v1/chain.grpc.pb.h"
#include "common/rpc/server_adapter.h"
#include "grpcpp/server.h"

namespace baton::bench {

struct WasteCounter {
  std::atomic<int64_t> cpu_ns_after_deadline{0};
  std::atomic<int64_t> pieces_started{0};
  std::atomic<int64_t> pieces_ended{0};
  // Stopped early because the Context was done.
  std::atomic<int64_t> pieces_cut_short{0};
};

// A hop's WasteCounter read at one moment (or another process's hop's).
struct HopWaste {
  int64_t started = 0;
  int64_t cut_short = 0;
  int64_t cpu_ns_after_deadline = 0;
};

// Spins for `work` of this thread's CPU time, or until `stop()` returns true. Adds to
// `waste` the CPU it spent after `caller_deadline`. Returns false if stopped early.
bool BusyWork(absl::Duration work, absl::Time caller_deadline, absl::FunctionRef<bool()> stop,
              WasteCounter& waste);

// kAdapterAsync: the adapter with hops that answer later (ServeUnaryAsync + CallAsync).
enum class ChainKind { kAdapter, kAdapterAsync, kRawSync, kRawCallback };
inline constexpr ChainKind kChainKinds[] = {ChainKind::kAdapter, ChainKind::kAdapterAsync,
                                            ChainKind::kRawSync, ChainKind::kRawCallback};
const char* ChainKindName(ChainKind kind);

struct ChainOptions {
  ChainKind kind = ChainKind::kAdapter;
  int hops = 3;
  // Adapter hops: worker threads.
  int threads = 8;
  size_t queue_bound = 256;
  size_t shed_threshold = 192;
  // Adapter hops: workers and pollers under SCHED_BATCH (common/context/thread_scheduling.h).
  bool batch_scheduling = true;
};

// Hops on loopback, the first one's address given; torn down on destruction.
class Chain {
 public:
  explicit Chain(ChainOptions options);
  ~Chain();

  const std::string& address() const { return hops_.front()->address; }
  // One counter per hop, first hop first.
  WasteCounter& waste(int hop) { return *hops_[hop]->waste; }
  // Every hop's counters as they are now, first hop first.
  std::vector<HopWaste> WasteNow() const;
  int hops() const { return static_cast<int>(hops_.size()); }
  // Waits (bounded) until every started piece of work has ended — a raw chain keeps
  // working after its caller gave up.
  bool WaitForQuiet(absl::Duration timeout);

 private:
  struct Hop {
    std::string address;
    std::unique_ptr<WasteCounter> waste;
    std::unique_ptr<rpc::ServerAdapter> adapter;
    std::unique_ptr<grpc::Service> service;
    rpc::ServerAdapter::Server server;
  };
  std::vector<std::unique_ptr<Hop>> hops_;  // First hop first.
};

}  // namespace baton::bench

#endif  // BATON_TOOLS_BENCH_CHAIN_H_
