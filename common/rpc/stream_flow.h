// StreamFlow: one direction of a streaming call (its reads, or its writes) as the
// blocking handler sees it — one operation in flight at a time, and the handler's
// thread waiting for it or for the call's Context to end, whichever comes first.
//
// One in flight at a time is the flow control: a write waits until gRPC has taken
// the message (the transport's window had room), so a consumer that stops reading
// stops the producer instead of making the server buffer without bound.
//
// When the Context ends while an operation is in flight, the waiting thread returns
// the Context's cause at once; the operation is still gRPC's (its buffer must stay
// put) and later operations fail fast with the cause. The reactor that owns the flow
// cancels the call before finishing it when an operation is still outstanding
// (outstanding()), so gRPC completes it.
//
// Thread safety: Begin/Await on the handler's thread; Complete on gRPC's; the
// Context's end on whichever thread ends it.
#ifndef BATON_COMMON_RPC_STREAM_FLOW_H_
#define BATON_COMMON_RPC_STREAM_FLOW_H_

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/context/context.h"

namespace baton::rpc {

class StreamFlow {
 public:
  StreamFlow() = default;
  StreamFlow(const StreamFlow&) = delete;
  StreamFlow& operator=(const StreamFlow&) = delete;

  // Watches `ctx` (the call's Context); before the first Begin().
  void Watch(const Context& ctx);

  // Before starting an operation: OK, or the Context's cause if it has ended (or the
  // stream is already broken: CANCELLED naming `what`).
  absl::Status Begin(const char* what);
  // Waits for the operation started after Begin(): whether it succeeded (gRPC's ok),
  // or the Context's cause if the Context ends first.
  absl::StatusOr<bool> Await();
  // gRPC's completion of the operation (OnWriteDone / OnReadDone).
  void Complete(bool ok);

  bool outstanding() const;

 private:
  Context ctx_;
  mutable absl::Mutex mu_;
  bool context_done_ ABSL_GUARDED_BY(mu_) = false;
  bool outstanding_ ABSL_GUARDED_BY(mu_) = false;
  bool ok_ ABSL_GUARDED_BY(mu_) = true;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  // Last, so destroyed first: stopping it waits for a running callback, which locks mu_.
  AfterFuncHandle on_done_;
};

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_STREAM_FLOW_H_
