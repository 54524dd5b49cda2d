// A light load generator for the adapter benchmark: nghttp2's h2load (Debian package
// nghttp2-client; `tools/install_deps.sh bench`) sending one gRPC unary request over
// and over, on one HTTP/2 connection with a fixed number of streams in flight.
//
// Why not a gRPC client: on a two-CPU machine the client has one CPU and the server
// the other, and a C++ gRPC client spends about as much CPU per call as the server it
// loads (here 20–55 µs against 15–40), so its QPS measures the client about as much
// as the server. h2load spends 8–12 µs: the server is what runs out of CPU, and QPS
// measures the server.
//
// h2load reads HTTP only, not gRPC: a response is "succeeded" when its HTTP status is
// 2xx, whatever its grpc-status trailer says. Check the server's answers another way
// (a gRPC client's calls) before trusting the figures.
//
// Thread safety: the functions may be called from any thread.
#ifndef BATON_COMMON_TESTING_H2LOAD_CLIENT_H_
#define BATON_COMMON_TESTING_H2LOAD_CLIENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace baton::testing {

// What one h2load run reports.
struct H2loadReport {
  double requests_per_second = 0;
  int64_t done = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t errored = 0;
};

// Reads the "finished in ..., N req/s" and "requests: ..." lines of h2load's output.
absl::StatusOr<H2loadReport> ParseH2loadReport(std::string_view output);

// h2load's path, searched along $PATH; nullopt if it is not installed.
std::optional<std::string> FindH2load();

struct H2loadRun {
  H2loadReport report;
  // The CPU time h2load itself used (user + system).
  double cpu_seconds = 0;
};

// Runs h2load for `duration` against the gRPC unary method `method_path`
// ("/package.Service/Method") at `address` (host:port, plaintext), with
// `serialized_request` as each request's message (framed as gRPC frames it,
// uncompressed), `streams` requests in flight on one connection, pinned to `cpu`.
// An error if h2load is missing, gives no report (its own errors go to this process's
// stderr), or any request failed or errored.
absl::StatusOr<H2loadRun> RunH2loadUnary(const std::string& address,
                                          const std::string& method_path,
                                          const std::string& serialized_request, int streams,
                                          absl::Duration duration, int cpu);

// h2load's --duration value for `duration`: whole milliseconds ("2500ms"), at least 1.
std::string H2loadDuration(absl::Duration duration);

// `message` in gRPC's length-prefixed framing: a zero byte (not compressed), the
// length in four big-endian bytes, the bytes.
std::string GrpcFrame(std::string_view message);

}  // namespace baton::testing

#endif  // BATON_COMMON_TESTING_H2LOAD_CLIENT_H_
