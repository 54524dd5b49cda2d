// IncomingCall: what the server side of the adapter makes of one arriving call, unary
// or streaming — the part every call shares (server_adapter.h describes the steps):
// the deadline and its cause, the metadata table's RequestMetadata, the Context (a
// child of the adapter's root, so a drain can cancel it), admission, the worker-pool
// hand-off, the before/after hooks around the handler, and on the way out the budget
// trail in trailing metadata and the request-log line.
//
// Thread safety: owned by one call (a UnaryCall, or a stream's reactor). Arrive() runs
// on the thread that received the call, before anything else; OnCancel() may then run
// on any thread, concurrently with the handler (it only cancels the Context); the rest
// follows the call's own sequence — for an asynchronous handler, AfterHandler() and
// Conclude() run on the thread that replies.
#ifndef BATON_COMMON_RPC_INCOMING_CALL_H_
#define BATON_COMMON_RPC_INCOMING_CALL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/context/context.h"
#include "common/rpc/call_state.h"
#include "common/rpc/policy.h"
#include "common/rpc/request_metadata.h"
#include "common/rpc/worker_pool.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace baton::rpc {

class ServerAdapter;

class IncomingCall {
 public:
  // Why a call is answered without running its handler: the status, and the
  // admission reason for the log and metrics ("draining", "expired_on_arrival", ...).
  struct Refusal {
    absl::Status status;
    std::string reason;
  };

  // Counted in the adapter's in-flight requests from here until destruction.
  IncomingCall(ServerAdapter* adapter, grpc::ServerContextBase* call, std::string_view method);
  ~IncomingCall() = default;
  IncomingCall(const IncomingCall&) = delete;
  IncomingCall& operator=(const IncomingCall&) = delete;

  // Builds the Context from the call; a refusal when the handler must not run.
  std::optional<Refusal> Arrive(const MethodOptions& options);
  // Hands `work` to the adapter's worker pool (`stream`: its pool for streams); a
  // refusal when the pool will not take it.
  std::optional<Refusal> Queue(QueuedWork* work, bool stream);
  // How to answer when the pool dropped the call with `why` instead of running it:
  // `why` (this service named when the pool refused it as late), and the pool's reason.
  Refusal Dropped(const absl::Status& why) const;
  // Runs the before-hook, `handler` and (if it succeeded) the after-hook on this thread.
  absl::Status RunHandler(absl::FunctionRef<absl::Status(const Context&)> handler);
  // RunHandler in two parts, for a handler that answers later (ServeUnaryAsync): the
  // before-hook's status (not OK: do not run the handler); then, with the handler's
  // answer, the after-hook if it succeeded — the status to conclude with.
  absl::Status BeforeHandler();
  absl::Status AfterHandler(absl::Status status);
  // Whether AfterHandler(status) would run a hook, which may block: then it belongs on
  // a worker. FinishOnWorker queues `work` to do it ahead of the adapter's queue.
  bool AfterHandlerMayBlock(const absl::Status& status) const;
  // Whether hooks run around the handler (ServerAdapter::Options::before_handler,
  // after_handler): they may block, however quick the handler.
  bool HasHandlerHooks() const;
  void FinishOnWorker(QueuedWork* work);
  // gRPC's OnCancel: the caller is gone (or, near the deadline, its deadline passed).
  void OnCancel();
  // The trailing metadata and the log line for `status`; the status to finish with.
  grpc::Status Conclude(const absl::Status& status, const std::string& admission);

  const Context& context() const { return ctx_; }
  grpc::ServerContextBase* grpc_call() const { return call_; }
  const std::string& admission() const { return admission_; }
  std::string_view method() const { return method_; }

 private:
  void Log(const absl::Status& status, const std::string& admission, const std::string& trail);

  // The call's place in the adapter's in-flight count. First member, so last to go:
  // its decrement is the last the call does to the adapter, which ~ServerAdapter waits
  // for (a reply from a thread of no pool's may still be letting go of its call).
  class InFlight {
   public:
    explicit InFlight(std::atomic<int64_t>& count) : count_(count) {
      count_.fetch_add(1, std::memory_order_relaxed);
    }
    ~InFlight() { count_.fetch_sub(1, std::memory_order_release); }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

   private:
    std::atomic<int64_t>& count_;
  };

  InFlight in_flight_;
  ServerAdapter* const adapter_;
  grpc::ServerContextBase* const call_;
  const std::string_view method_;
  const absl::Time start_;
  const char* deadline_source_ = "caller";
  // The deadline is the caller's (deadline_source_ "caller").
  bool callers_deadline_ = true;
  absl::Status deadline_cause_;
  absl::Duration budget_at_arrival_;
  Criticality criticality_ = Criticality::kCritical;
  std::string admission_ = "run";
  // In ctx_, once Arrive() has built it.
  const CallState* call_state_ = nullptr;
  // Cancels ctx_, which is also done at its deadline.
  CancelCauseHandle cancel_;
  Context ctx_;
};

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_INCOMING_CALL_H_
