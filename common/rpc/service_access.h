// ServiceAccess: what the adapter needs of a generated grpc::Service that gRPC keeps
// for the generated subclasses — turning a method into one the adapter requests from
// its own completion queue, and requesting its calls — for any generated service,
// without a generated wrapper class per method.
//
// The members are grpc::Service's own; a pointer to them taken through this subclass
// is a pointer to a member of grpc::Service, which C++ lets this class form.
#ifndef BATON_COMMON_RPC_SERVICE_ACCESS_H_
#define BATON_COMMON_RPC_SERVICE_ACCESS_H_

#include "grpcpp/completion_queue.h"
#include "grpcpp/impl/service_type.h"
#include "grpcpp/server_context.h"

namespace baton::rpc {

class ServiceAccess final : public grpc::Service {
 public:
  // Method `index` of `service` stops being served by its generated (callback or
  // synchronous) handler: the server delivers its calls to RequestUnary's requests.
  static void MarkRequested(grpc::Service& service, int index) {
    // A callback method keeps its handler when marked asynchronous; without one, the
    // server takes it as asynchronous.
    (service.*&ServiceAccess::MarkMethodCallback)(index, nullptr);
    (service.*&ServiceAccess::MarkMethodAsync)(index);
  }

  // Asks for the next call of unary method `index`: its request message is read into
  // `request`, and `tag` is delivered on `queue` when it has arrived.
  template <typename Request>
  static void RequestUnary(grpc::Service& service, int index, grpc::ServerContext* context,
                           Request* request,
                           grpc::internal::ServerAsyncStreamingInterface* responder,
                           grpc::ServerCompletionQueue* queue, void* tag) {
    using RequestFn = void (grpc::Service::*)(
        int, grpc::ServerContext*, Request*, grpc::internal::ServerAsyncStreamingInterface*,
        grpc::CompletionQueue*, grpc::ServerCompletionQueue*, void*);
    const RequestFn request_call = &ServiceAccess::template RequestAsyncUnary<Request>;
    (service.*request_call)(index, context, request, responder, queue, queue, tag);
  }
};

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_SERVICE_ACCESS_H_
