// RemoteChain: a benchmark chain of hops in a process of its own — this benchmark run
// again as a server (chain_benchmark --serve=<kind>), or the same chain on grpc-go
// (tools/bench/go_chain) — spoken to line by line over the process's stdin and stdout
// (server_process.h). The server side prints the first hop's address, then answers one
// line per line it reads:
//
//   runs    pieces of work started at the first hop
//   quiet   waits (up to 30 s) until no piece has run for 100 ms: "quiet" or "busy"
//   waste   for each hop, first hop first: "<started> <cut short> <CPU ns after deadline>"
//
// and exits when its stdin closes. ServeChain is that side for a Chain of this binary.
//
// Thread safety: one thread uses a RemoteChain.
#ifndef BATON_TOOLS_BENCH_REMOTE_CHAIN_H_
#define BATON_TOOLS_BENCH_REMOTE_CHAIN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/bench/chain.h"
#include "common/testing/server_process.h"

namespace baton::bench {

class RemoteChain {
 public:
  // Runs `program` with `args` on `cpu` (testing::ServerProcess::Start) and reads its address.
  static absl::StatusOr<std::unique_ptr<RemoteChain>> Start(const std::string& program,
                                                            const std::vector<std::string>& args,
                                                            int cpu);

  const std::string& address() const { return address_; }
  absl::StatusOr<int64_t> Runs();
  // Whether the chain fell quiet within the server's bound.
  bool WaitForQuiet();
  absl::StatusOr<std::vector<HopWaste>> Waste();
  // The server process's resident memory, in MiB.
  double RssMiB() const { return process_->RssMiB(); }

  RemoteChain(std::unique_ptr<::baton::testing::ServerProcess> process, std::string address)
      : process_(std::move(process)), address_(std::move(address)) {}

 private:
  std::unique_ptr<::baton::testing::ServerProcess> process_;
  std::string address_;
};

// The server side for `chain`, on this process's stdin and stdout; returns when stdin
// closes.
void ServeChain(Chain& chain);

}  // namespace baton::bench

#endif  // BATON_TOOLS_BENCH_REMOTE_CHAIN_H_
