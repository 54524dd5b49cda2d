// The client side of the adapter: a Context becomes an outbound call.
//
//   Product product;
//   absl::Status status = rpc::Call(ctx, {.target = "catalog.GetProduct"},
//       [&](grpc::ClientContext* call, rpc::Done done) {
//         catalog_stub->async()->GetProduct(call, &request, &product, std::move(done));
//       });
//
// The adapter builds the grpc::ClientContext; the lambda only starts the call on it.
// For each call:
//   Deadline   min(ctx's deadline − the policy's propagation slack, now + timeout).
//              Less budget than the policy's minimum → DEADLINE_EXCEEDED, not sent.
//   Metadata   request id, trace (same trace id, a new span id), tracestate, baggage,
//              identity, tenant, criticality and allowlisted headers, from the
//              Context's RequestMetadata (metadata_table.h). Credentials never travel
//              unless the policy says so.
//   Cancel     ctx cancelled (caller gone, deadline, sibling failed) → the call is
//              cancelled at once (TryCancel from AfterFunc); the registration is
//              removed when the call completes.
//   Status     if ctx (or the per-call timeout) ended the call, the result is that
//              Context's cause — DEADLINE_EXCEEDED or CANCELLED naming which budget ran
//              out (the caller's deadline, a service's cap, a per-call timeout) and
//              where — even when the callee or a proxy answered UNAVAILABLE or
//              CANCELLED. Otherwise the callee's status, as is — except a CANCELLED
//              that neither our Context nor our deadline caused (the callee or a proxy
//              reset the call, e.g. shutting down): UNAVAILABLE, naming the target.
//   Trail      the callee's x-baton-budget-trail is appended to this request's trail.
//
// Several calls at once, the first failure cancelling the rest: fan_out.h.
//
// Outside an RPC (no CallState in ctx) the default AdapterPolicy applies.
// Thread safety: every function here may be called from any thread; a blocking call
// must not be made on a gRPC callback thread.
#ifndef BATON_COMMON_RPC_CLIENT_CALL_H_
#define BATON_COMMON_RPC_CLIENT_CALL_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/context/context.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace baton::rpc {

struct CallOptions {
  // What is called, for messages: "inventory.Reserve".
  std::string target = "downstream";
  // A budget of this call's own, on top of the Context's deadline.
  absl::Duration timeout = absl::InfiniteDuration();
};

// The completion callback a Starter hands to the stub's async method.
using Done = std::function<void(grpc::Status)>;
// Starts one call on the given ClientContext (e.g. stub->async()->Method(...)).
using Starter = absl::AnyInvocable<void(grpc::ClientContext*, Done) &&>;

// One call in flight. Start it with Start(); Wait() for its status.
class PendingCall {
 public:
  static std::unique_ptr<PendingCall> Start(const Context& ctx, const CallOptions& options,
                                            Starter starter);
  ~PendingCall();  // Waits for the call to complete if it was sent.
  PendingCall(const PendingCall&) = delete;
  PendingCall& operator=(const PendingCall&) = delete;

  // Blocks until the call completes; the adapter's view of its status.
  absl::Status Wait();

  struct Impl;
  // For Start(); Impl is private to client_call.cc, so nothing else can make one.
  explicit PendingCall(std::shared_ptr<Impl> impl);

 private:
  // Shared with the completion callback, which lets go of it before Wait() can return.
  std::shared_ptr<Impl> impl_;
};

// Start + Wait.
absl::Status Call(const Context& ctx, const CallOptions& options, Starter starter);

// Receives the status of a CallAsync.
using OnCallDone = absl::AnyInvocable<void(absl::Status) &&>;

// Call() without blocking, for handlers that do not hold a thread while they wait
// (ServerAdapter::ServeUnaryAsync): starts the call and returns. `on_done` (not null) runs
// once with the status Call() would have returned — except that where Call() gives up
// waiting for our own deadline 50 ms after it, this waits for it however late its
// timer is — on the thread that ends the call: a gRPC thread; the thread that cancels
// ctx, inside its Cancel (so the canceller must not hold a lock `on_done` takes); the
// Context's timer thread; or this one, before CallAsync returns, when nothing is sent.
// It must not block. What the starter's request and response point to must stay valid
// until then. The call lets go of itself, and of its channel, before `on_done` runs.
void CallAsync(const Context& ctx, const CallOptions& options, Starter starter,
               OnCallDone on_done);

// Prepares `client` for a call under `ctx` the way Call() does — the deadline (the
// callee's budget less the propagation slack, in x-baton-budget-us) and the propagated
// metadata — for calls whose completion the caller drives itself (client_stream.h).
// The Context's cause if it is done; DEADLINE_EXCEEDED naming `target` when the
// budget is below the policy's minimum. Nothing is sent either way.
absl::Status PrepareOutbound(const Context& ctx, std::string_view target,
                             grpc::ClientContext& client);

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_CLIENT_CALL_H_
