// ServerAdapter: turns each incoming RPC into a Context and runs its handler. Unary
// calls here; streaming calls get the same Context through server_stream.h.
//
// A service implements its generated `CallbackService` and forwards every method to
// the adapter; the handler is plain blocking code that sees a Context, never a
// grpc::ServerContext:
//
//   grpc::ServerUnaryReactor* GetProduct(grpc::CallbackServerContext* call,
//                                        const GetProductRequest* request,
//                                        Product* response) override {
//     return adapter_.Unary(call, request, response, "GetProduct",
//                           [this](const Context& ctx, const GetProductRequest& req,
//                                  Product& resp) { return GetProduct(ctx, req, resp); });
//   }
//
// For each call, on arrival (on a gRPC thread, never blocking):
//   Deadline   the call's gRPC deadline; none → the policy's default; above the
//              maximum → the maximum; an Envoy x-envoy-expected-rq-timeout-ms can only
//              shorten it. The Context's deadline cause names which budget it is.
//   Cancel     gRPC's OnCancel (caller cancelled, connection lost) cancels the Context
//              at once with the cause "cancelled by caller" — or, in the last 10% of
//              the budget, the deadline's cause: a caller's stack cancels at its own
//              deadline, which lies a little before ours (transit, grpc-timeout
//              rounding). For a unary call this runs on the thread that delivers
//              the cancel (a gRPC thread, or a worker inside the call's Finish), as
//              do the Context's AfterFunc callbacks it triggers: they must not block.
//   Metadata   the metadata table (metadata_table.h) → RequestMetadata value.
//   Admission  already expired, or less budget than the method's min_budget →
//              DEADLINE_EXCEEDED without running the handler (kObserve: logged only).
//   Queue      the worker pool (worker_pool.h): full → RESOURCE_EXHAUSTED; over the
//              shed threshold → SHEDDABLE requests get RESOURCE_EXHAUSTED first; the
//              queue's oldest has waited over half this request's budget →
//              RESOURCE_EXHAUSTED; done while queued → dropped with the Context's
//              cause; waited over half its budget with others behind →
//              RESOURCE_EXHAUSTED at once. In each case the handler never runs.
//              (MethodOptions::run_inline skips the queue for handlers that never
//              block.)
// When the handler returns, its status is the call's status, the budget trail goes
// into trailing metadata (x-baton-budget-trail) and one RequestLog line is written.
//
// A handler that waits on other calls can answer later instead of holding a thread
// (UnaryAsync): it starts its outbound calls with CallAsync (client_call.h) and
// returns; the Reply it was given ends the call, from whichever thread completes the
// work. Everything above applies to it alike. With MethodOptions::run_inline as well,
// a hop that only forwards costs no thread hand-off at all.
//
// Thread safety: all methods may be called from any thread. The adapter must outlive
// the grpc::Server that calls into it (shut the server down first).
#ifndef BATON_COMMON_RPC_SERVER_ADAPTER_H_
#define BATON_COMMON_RPC_SERVER_ADAPTER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "common/context/context.h"
#include "common/rpc/deadline_causes.h"
#include "common/rpc/policy.h"
#include "common/rpc/request_log.h"
#include "common/rpc/worker_pool.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"

namespace baton::rpc {

// Counters of what admission did; read them for metrics and tests.
struct ServerStats {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> expired_on_arrival{0};
  std::atomic<uint64_t> below_min_budget{0};
  std::atomic<uint64_t> shed{0};
  std::atomic<uint64_t> queue_full{0};
  // Refused on arrival: it would have waited in the queue over half its budget.
  std::atomic<uint64_t> queue_behind{0};
  // Refused because the server was draining.
  std::atomic<uint64_t> refused_draining{0};
  // Would have been rejected, in kObserve mode.
  std::atomic<uint64_t> observed_rejections{0};
  // Handlers still running when their deadline passed.
  std::atomic<uint64_t> work_after_deadline{0};
};

class UnaryCall;

// How an asynchronous unary handler (ServerAdapter::UnaryAsync) answers: call it once,
// from any thread, with OK once the response is filled, or with the failure. The
// request and response stay valid until it is called, and not after; the Context the
// handler was given, until the handler returns (a continuation keeps a copy). Calling
// it may free the call before it returns, and with an after-hook configured it runs
// the hook — on this thread if it is a worker's, else on a worker, ahead of the queue.
// Dropped without being called, it answers INTERNAL naming the method. Move-only.
class Reply {
 public:
  Reply(Reply&& other) noexcept : call_(std::exchange(other.call_, nullptr)) {}
  Reply& operator=(Reply&&) = delete;
  ~Reply();

  void operator()(absl::Status status) &&;

 private:
  friend class UnaryCall;
  explicit Reply(UnaryCall* call) : call_(call) {}

  UnaryCall* call_;
};

class ServerAdapter {
 public:
  struct Options {
    AdapterPolicy policy;
    WorkerPool::Options pool;
    // For streaming handlers (server_stream.h): one thread per open stream, at most
    // `threads` streams served at once, a few more waiting for a thread
    // (--stream_threads).
    WorkerPool::Options streams = {.threads = 16, .queue_bound = 16, .shed_threshold = 12};
    // Receives one RequestLog per call; null logs nothing.
    RequestLogSink log_sink = LogToStderr;
    // Runs on the handler's thread before every handler; an error is the call's status
    // and the handler is not run (the runtime's fault injection). Must be thread-safe.
    // For a method with run_inline that thread is gRPC's: a hook that blocks there
    // (a fault's delay) holds one of gRPC's threads for as long.
    std::function<absl::Status(const Context&, std::string_view method)> before_handler;
    // Runs after a handler that succeeded, before the answer is sent; an error replaces
    // the answer (the runtime's fault injection: work done, reply slow or lost). Always
    // on a worker (or the inline handler's thread): an asynchronous handler's reply
    // from elsewhere goes to a worker first, when this is set.
    std::function<absl::Status(const Context&, std::string_view method)> after_handler;
  };

  explicit ServerAdapter(Options options);
  ~ServerAdapter();
  ServerAdapter(const ServerAdapter&) = delete;
  ServerAdapter& operator=(const ServerAdapter&) = delete;

  // Handles one unary call with a typed handler: absl::Status(const Context&, const
  // Request&, Response&); returns the reactor the generated method must return.
  // `method` is the short method name, for logs and messages; it must outlive the call
  // (a string literal). The request and response stay valid until the handler returns.
  template <typename Request, typename Response, typename Handler>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* call, const Request* request,
                                  Response* response, std::string_view method, Handler&& handler,
                                  const MethodOptions& options = {}) {
    return StartUnary(call, method, options, request, response,
                      [handler = std::forward<Handler>(handler)](
                          const Context& ctx, const void* untyped_request,
                          void* untyped_response) mutable {
                        return handler(ctx, *static_cast<const Request*>(untyped_request),
                                       *static_cast<Response*>(untyped_response));
                      },
                      AsyncBody());
  }

  // Unary() for a handler that answers through its Reply, now or later from another
  // thread: void(const Context&, const Request&, Response&, Reply). It returns without
  // waiting for what it started (CallAsync); admission, the queue (unless
  // options.run_inline), the hooks, trail and log are as for Unary(). The Context, request
  // and response it is given are valid until the Reply is called: a continuation keeps
  // a copy of the Context, and pointers to the request and response, not references
  // to the arguments.
  template <typename Request, typename Response, typename Handler>
  grpc::ServerUnaryReactor* UnaryAsync(grpc::CallbackServerContext* call, const Request* request,
                                       Response* response, std::string_view method,
                                       Handler&& handler, const MethodOptions& options = {}) {
    return StartUnary(call, method, options, request, response, Body(),
                      [handler = std::forward<Handler>(handler)](
                          const Context& ctx, const void* untyped_request,
                          void* untyped_response, Reply reply) mutable {
                        handler(ctx, *static_cast<const Request*>(untyped_request),
                                *static_cast<Response*>(untyped_response), std::move(reply));
                      });
  }

  // The start of a drain: every request that arrives from now on is answered with
  // `refusal` (UNAVAILABLE, so that clients and meshes retry elsewhere) without running
  // its handler; requests in flight go on. Thread-safe; the first call's refusal is kept.
  void StartDraining(absl::Status refusal);
  // Waits until no request is in flight, or `deadline`; returns whether none is.
  bool WaitForIdle(absl::Time deadline) const;
  // Cancels the Context of every request in flight and of every request that arrives
  // from now on, with `cause` (the end of a drain).
  void CancelInFlight(const absl::Status& cause);

  int64_t in_flight() const { return in_flight_.load(); }
  // The Context every request's Context derives from (for introspection: its child set
  // must track the requests in flight, never grow with the requests served).
  const Context& root() const { return root_.context; }
  const ServerStats& stats() const { return stats_; }
  const WorkerPool& pool() const { return pool_; }
  const WorkerPool& stream_pool() const { return stream_pool_; }
  const AdapterPolicy& policy() const { return options_.policy; }

 private:
  friend class UnaryCall;

  // The handler, with the call's request and response passed in untyped: the typed
  // wrapper in Unary() captures only the handler, so that a handler of the usual size
  // (a lambda holding `this`) is stored inside the AnyInvocable, not allocated per call.
  using Body = absl::AnyInvocable<absl::Status(const Context&, const void* request,
                                               void* response) &&>;
  // UnaryAsync's handler, untyped the same way.
  using AsyncBody = absl::AnyInvocable<void(const Context&, const void* request, void* response,
                                            Reply reply) &&>;
  // Unary() and UnaryAsync() without the types: `request` and `response` (valid until
  // the handler returns, or replies) are handed to it as they are. Exactly one of
  // `body` and `async_body` is set.
  grpc::ServerUnaryReactor* StartUnary(grpc::CallbackServerContext* call, std::string_view method,
                                       const MethodOptions& options, const void* request,
                                       void* response, Body body, AsyncBody async_body);

  friend class IncomingCall;

  const Options options_;
  // Every request's Context derives from this one.
  DerivedContext<CancelCauseHandle> root_;
  ServerStats stats_;
  std::atomic<int64_t> in_flight_{0};
  DeadlineCauses causes_;
  std::atomic<bool> draining_{false};
  // Claimed by the one StartDraining that sets drain_refusal_.
  std::atomic<bool> drain_claimed_{false};
  // Set once, before draining_ turns true; read only after.
  absl::Status drain_refusal_;
  // Runs stream handlers, which hold their thread for the stream's life: apart, so that
  // long streams never starve unary calls of workers.
  WorkerPool stream_pool_;
  // Last member: destroyed (its queue drained, its workers joined) first.
  WorkerPool pool_;
};

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_SERVER_ADAPTER_H_
