// Streams through the adapter on loopback (docs/benchmarks.md):
//   throughput  messages per second a client reads from Count (one hop) and from Relay
//               (two hops: the front relays the back's Count through an outbound
//               stream under its Context), with 64-byte payloads;
//   cancel      the time from the client's cancel of a Relay to the back hop's Count
//               handler returning (the inner stream closed at the far end).
//
//   bazel run -c opt //common/rpc:stream_benchmark -- [--messages=200000] [--runs=300]
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "baton/testing/v1/stream.grpc.pb.h"
#include "common/rpc/testing/stream_server.h"
#include "common/testing/bench_flags.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace baton::rpc::testing {
namespace {

using ::baton::testing::BenchFlags;
using ::baton::testing::FlagKind;

using baton::testing::v1::CountRequest;
using baton::testing::v1::Number;
using baton::testing::v1::StreamService;

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return -1;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

void Throughput(StreamService::Stub& stub, bool relay, int messages) {
  CountRequest request;
  request.set_count(messages);
  request.set_payload_bytes(64);
  grpc::ClientContext call;
  call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
  const absl::Time start = absl::Now();
  auto reader = relay ? stub.Relay(&call, request) : stub.Count(&call, request);
  Number number;
  int read = 0;
  while (reader->Read(&number)) ++read;
  grpc::Status status = reader->Finish();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf("  %-22s %d messages in %.2f s: %.0f msg/s (%s)\n",
              relay ? "Relay (two hops)" : "Count (one hop)", read, seconds, read / seconds,
              status.ok() ? "OK" : status.error_message().c_str());
}

int Main(int argc, char** argv) {
  const BenchFlags flags = BenchFlags::ParseOrExit(
      argc, argv, {{"messages", FlagKind::kWholeNumber, 1},
                   {"runs", FlagKind::kWholeNumber, 1}});
  const int messages = static_cast<int>(flags.Number("messages", 200000));
  const int runs = static_cast<int>(flags.Number("runs", 300));
  StreamServer back("back");
  StreamServer front("front", back.address());
  auto stub = StreamService::NewStub(
      grpc::CreateChannel(front.address(), grpc::InsecureChannelCredentials()));
  auto back_stub = StreamService::NewStub(
      grpc::CreateChannel(back.address(), grpc::InsecureChannelCredentials()));
  std::printf("throughput, 64-byte payloads:\n");
  Throughput(*back_stub, /*relay=*/false, messages);
  Throughput(*stub, /*relay=*/true, messages);

  std::vector<double> to_inner_end_ms;
  int ended = 2;  // The back's two Counts above (direct, and under the Relay).
  for (int run = 0; run < runs; ++run) {
    CountRequest request;
    request.set_interval_ms(1);
    grpc::ClientContext call;
    call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    auto reader = stub->Relay(&call, request);
    Number number;
    if (!reader->Read(&number)) return 1;
    const absl::Time cancelled = absl::Now();
    call.TryCancel();
    reader->Finish();
    std::optional<StreamServer::HandlerEnd> end = back.WaitForEnd(++ended, absl::Seconds(10));
    if (end.has_value()) {
      to_inner_end_ms.push_back(absl::ToDoubleMilliseconds(end->ended - cancelled));
    }
  }
  std::printf("cancel of a Relay → the back hop's Count handler returned, %zu runs:\n",
              to_inner_end_ms.size());
  std::printf("  p50 %.3f ms  p99 %.3f ms  max %.3f ms\n", Percentile(to_inner_end_ms, 0.5),
              Percentile(to_inner_end_ms, 0.99), Percentile(to_inner_end_ms, 1.0));
  return 0;
}

}  // namespace
}  // namespace baton::rpc::testing

int main(int argc, char** argv) { return baton::rpc::testing::Main(argc, argv); }
