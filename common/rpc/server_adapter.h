// ServerAdapter: turns each incoming RPC into a Context and runs its handler. Unary
// calls here; streaming calls get the same Context through server_stream.h.
//
// A service derives from its generated `CallbackService` (streaming methods stay
// gRPC callback methods, server_stream.h) and, in its constructor, has the adapter
// serve each unary method with a handler: plain blocking code that sees a Context,
// never a grpc::ServerContext (unary_method.h's BATON_SERVE_UNARY says it in a line):
//
//   adapter_->ServeUnary<GetProductRequest, Product>(
//       this, v1::CatalogService::service_full_name(), "GetProduct",
//       [this](const Context& ctx, const GetProductRequest& req, Product& resp) {
//         return GetProduct(ctx, req, resp);
//       });
//
// The server is built with the adapter's BuildAndStart(builder): the adapter asks gRPC
// for these methods' calls on a completion queue of its own, served by its own
// threads (unary_call.h), so that the thread that receives a call runs its handler
// when the worker pool has room — no hand-off between threads for a call that does
// not have to wait.
//
// For each call, on arrival (on the thread that received it, never blocking):
//   Deadline   the call's gRPC deadline; none → the policy's default; above the
//              maximum → the maximum; an Envoy x-envoy-expected-rq-timeout-ms can only
//              shorten it. The Context's deadline cause names which budget it is.
//   Cancel     gRPC's cancel (caller cancelled, connection lost) cancels the Context
//              at once with the cause "cancelled by caller" — or, in the last 10% of
//              the budget, the deadline's cause: a caller's stack cancels at its own
//              deadline, which lies a little before ours (transit, grpc-timeout
//              rounding). This runs on the thread that delivers the cancel (one of
//              the adapter's pollers for a unary call, a gRPC thread for a stream),
//              as do the Context's AfterFunc callbacks it triggers: they must not
//              block.
//   Metadata   the metadata table (metadata_table.h) → RequestMetadata value.
//   Admission  already expired, or less budget than the method's min_budget →
//              DEADLINE_EXCEEDED without running the handler (kObserve: logged only).
//   Queue      the worker pool (worker_pool.h); a unary call runs on the thread that
//              received it when a place is free for it on the pollers (one always
//              stays free to receive) and in the pool, with nothing waiting. Else:
//              full → RESOURCE_EXHAUSTED; over the
//              shed threshold → SHEDDABLE requests get RESOURCE_EXHAUSTED first; the
//              queue's oldest has waited over half this request's budget →
//              RESOURCE_EXHAUSTED; done while queued → dropped with the Context's
//              cause; waited over half its budget with others behind →
//              RESOURCE_EXHAUSTED at once. In each case the handler never runs.
// When the handler returns, its status is the call's status, the budget trail goes
// into trailing metadata (x-baton-budget-trail) and one RequestLog line is written.
//
// A handler that waits on other calls can answer later instead of holding a thread
// (ServeUnaryAsync): it starts its outbound calls with CallAsync (client_call.h) and
// returns; the Reply it was given ends the call, from whichever thread completes the
// work. Everything above applies to it alike.
//
// Thread safety: ServeUnary(Async) before BuildAndStart, once per method, from one
// thread; the rest may be called from any thread. The adapter must outlive the
// grpc::Server that calls into it (shut the server down first).
#ifndef BATON_COMMON_RPC_SERVER_ADAPTER_H_
#define BATON_COMMON_RPC_SERVER_ADAPTER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/context/context.h"
#include "common/rpc/call_poller.h"
#include "common/rpc/deadline_causes.h"
#include "common/rpc/policy.h"
#include "common/rpc/request_log.h"
#include "common/rpc/unary_call.h"
#include "common/rpc/worker_pool.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"

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

class ServerAdapter {
 public:
  struct Options {
    AdapterPolicy policy;
    // For unary handlers. With `pool.batch_scheduling` (the default here), the workers
    // and the pollers that receive unary calls run under SCHED_BATCH
    // (common/context/thread_scheduling.h).
    WorkerPool::Options pool = {.batch_scheduling = true};
    // For streaming handlers (server_stream.h): one thread per open stream, at most
    // `threads` streams served at once, a few more waiting for a thread
    // (--stream_threads).
    WorkerPool::Options streams = {.threads = 16, .queue_bound = 16, .shed_threshold = 12};
    // Receives one RequestLog per call; null logs nothing.
    RequestLogSink log_sink = LogToStderr;
    // Runs on the handler's thread before every handler; an error is the call's status
    // and the handler is not run (the runtime's fault injection). Must be thread-safe.
    std::function<absl::Status(const Context&, std::string_view method)> before_handler;
    // Runs after a handler that succeeded, before the answer is sent; an error replaces
    // the answer (the runtime's fault injection: work done, reply slow or lost). Always
    // where blocking is allowed (WorkerPool::OnWorkerThread): an asynchronous handler's
    // reply from elsewhere goes to a worker first, when this is set.
    std::function<absl::Status(const Context&, std::string_view method)> after_handler;
  };

  explicit ServerAdapter(Options options);
  ~ServerAdapter();
  ServerAdapter(const ServerAdapter&) = delete;
  ServerAdapter& operator=(const ServerAdapter&) = delete;

  // Serves unary method `method` of `service` (an instance of the generated service
  // `service_name`, e.g. v1::CatalogService::service_full_name()) with a typed handler:
  // absl::Status(const Context&, const Request&, Response&), called on any number of
  // threads at once (so copyable, and callable as const). Before the server is built;
  // `service`, and whatever the handler uses, must outlive the server. A method the
  // service lacks, or whose messages are not Request and Response, or that streams,
  // stops the process with a message naming it (a mistake in the service's code, found
  // at its start).
  template <typename Request, typename Response, typename Handler>
  void ServeUnary(grpc::Service* service, std::string_view service_name, std::string_view method,
                  Handler handler, const MethodOptions& options = {}) {
    std::unique_ptr<ServedMethod> served = Method<Request, Response>(service, service_name,
                                                                     method, options);
    served->body = [handler = std::move(handler)](const Context& ctx, const void* request,
                                                  void* response) {
      return handler(ctx, *static_cast<const Request*>(request),
                     *static_cast<Response*>(response));
    };
    Serve(std::move(served));
  }

  // ServeUnary() for a handler that answers through its Reply, now or later from
  // another thread: void(const Context&, const Request&, Response&, Reply). It returns
  // without waiting for what it started (CallAsync); admission, the queue, the hooks,
  // trail and log are as for ServeUnary(). The Context, request and response it is
  // given are valid until the Reply is called: a continuation keeps a copy of the
  // Context, and pointers to the request and response, not references to the
  // arguments.
  template <typename Request, typename Response, typename Handler>
  void ServeUnaryAsync(grpc::Service* service, std::string_view service_name,
                       std::string_view method, Handler handler,
                       const MethodOptions& options = {}) {
    std::unique_ptr<ServedMethod> served = Method<Request, Response>(service, service_name,
                                                                     method, options);
    served->async_body = [handler = std::move(handler)](const Context& ctx, const void* request,
                                                        void* response, Reply reply) {
      handler(ctx, *static_cast<const Request*>(request), *static_cast<Response*>(response),
              std::move(reply));
    };
    Serve(std::move(served));
  }

  // Ends a server BuildAndStart built, so that nothing of its calls outlives it: the
  // adapter starts draining (a call that arrives from now on is refused, its handler
  // not run); the server shuts down (if it is not yet: waiting for the calls in
  // flight, as Shutdown() does); then it waits for every handler to have returned and
  // every call to be let go of (gRPC's asynchronous API does not wait for them); then
  // the adapter's completion queue is emptied — gRPC needs that while the server still
  // exists — and the server deleted. Without an adapter, only deletes it.
  struct ServerDeleter {
    ServerAdapter* adapter = nullptr;
    void operator()(grpc::Server* server) const;
  };
  using Server = std::unique_ptr<grpc::Server, ServerDeleter>;

  // Builds and starts the server `builder` describes (its services registered), and
  // starts serving the methods given to ServeUnary(Async); null if it cannot start.
  // Call once (a second call stops the process). The server must go before the
  // adapter.
  Server BuildAndStart(grpc::ServerBuilder& builder);
  // BuildAndStart through `adapter`, or without one when it is null (a server that
  // serves nothing through an adapter, such as a benchmark's bare one).
  static Server StartServer(grpc::ServerBuilder& builder, ServerAdapter* adapter);

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

  template <typename Request, typename Response>
  std::unique_ptr<ServedMethod> Method(grpc::Service* service, std::string_view service_name,
                                       std::string_view method, const MethodOptions& options) {
    auto served = std::make_unique<ServedMethod>();
    served->service = service;
    served->index = MethodIndex(service_name, method, *Request::descriptor(),
                                *Response::descriptor());
    served->name = std::string(method);
    served->options = options;
    served->make = +[](ServerAdapter* adapter,
                       const ServedMethod* of) -> std::unique_ptr<UnaryCall> {
      return std::make_unique<TypedUnaryCall<Request, Response>>(adapter, of);
    };
    return served;
  }
  // The index of unary method `method` in the generated service `service_name`;
  // stops the process, naming both, if there is no such method taking `request` and
  // returning `response`.
  static int MethodIndex(std::string_view service_name, std::string_view method,
                         const google::protobuf::Descriptor& request,
                         const google::protobuf::Descriptor& response);
  void Serve(std::unique_ptr<ServedMethod> served);
  // Asks gRPC for the next call of `method`, in place of one that has arrived.
  void RequestNext(const ServedMethod& method);
  // On a poller that received a call: whether it may run the handler itself — a place
  // for a handler on the pollers (one always stays free) and one in the worker pool
  // (WorkerPool::TryRunHere). If so, the poller whose place it took; hand that to
  // DoneRunningOnPoller() on the same thread once the handler returns. The poller
  // outlives its threads' work, while poller_ may be reset meanwhile: the handler's
  // call can end (and the server go) before the thread gives its place back.
  CallPoller* TryRunOnPoller();
  void DoneRunningOnPoller(CallPoller& poller);
  // Runs `start`, which starts an operation on the adapter's completion queue, unless
  // the queue is shut or shutting down; returns whether it ran. gRPC aborts the process
  // on an operation started on a shut queue, and a handler may answer after that.
  bool StartOnQueue(absl::FunctionRef<void(grpc::ServerCompletionQueue*)> start);
  // Closes the completion queue to new operations, then shuts it down and joins the
  // pollers once what is in it has been served.
  void StopPolling();

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
  WorkerPool pool_;
  std::vector<std::unique_ptr<ServedMethod>> served_;
  // Set by BuildAndStart; reset (the queue shut down) when the server goes.
  std::unique_ptr<CallPoller> poller_;
  std::atomic<bool> built_{false};
  absl::Mutex queue_mu_;
  bool queue_open_ ABSL_GUARDED_BY(queue_mu_) = false;
};

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_SERVER_ADAPTER_H_
