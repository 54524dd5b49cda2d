// FanOut: several outbound calls in parallel under one Context derived from the
// caller's, errgroup-style — the first failure cancels the others. Each call is made
// as Call() makes it (client_call.h): deadline, propagated metadata, status settled.
//
//   std::vector<rpc::FanOutCall> calls;
//   calls.push_back({{.target = "catalog.GetProduct"},
//                    [&](grpc::ClientContext* call, rpc::Done done) {
//                      catalog->async()->GetProduct(call, &product_request, &product,
//                                                   std::move(done));
//                    }});
//   calls.push_back({{.target = "inventory.GetStock"}, ...});
//   absl::Status found = rpc::FanOut(ctx, std::move(calls));
//
// Thread safety: both functions may be called from any thread; FanOut blocks, so not
// on a gRPC callback thread.
#ifndef BATON_COMMON_RPC_FAN_OUT_H_
#define BATON_COMMON_RPC_FAN_OUT_H_

#include <vector>

#include "absl/status/status.h"
#include "common/context/context.h"
#include "common/rpc/client_call.h"

namespace baton::rpc {

struct FanOutCall {
  CallOptions options;
  Starter start;
};

// Runs the calls in parallel under one Context derived from `ctx`; the first failure
// cancels the others (errgroup-style). Returns OK when all succeed, else the first
// failure (the siblings it cancelled are not reported). Blocks until every call has
// completed, so what the starters write to is complete (or abandoned) on return —
// FanOutAsync, waited for: each call's status is settled as CallAsync settles it.
absl::Status FanOut(const Context& ctx, std::vector<FanOutCall> calls);

// FanOut() without blocking: starts the calls and returns. `on_done` (not null) runs
// once, after every call has completed, with OK when all succeeded, else the first
// failure — on the thread that completes the last one, under CallAsync's contract.
void FanOutAsync(const Context& ctx, std::vector<FanOutCall> calls, OnCallDone on_done);

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_FAN_OUT_H_
