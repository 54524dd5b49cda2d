// The one-line connection of a generated streaming method to its blocking handler
// through the server adapter (server_stream.h), as unary_method.h does for unary ones.
//
//   // In the class (which has a `rpc::ServerAdapter* adapter_`):
//   BATON_SERVER_STREAM_METHOD_DECL(WatchStock, v1::WatchStockRequest, v1::StockChange);
//   // declares   absl::Status WatchStock(const Context&, const v1::WatchStockRequest&,
//   //                                    rpc::StreamWriter<v1::StockChange>&);
//   // In the .cc file:
//   BATON_SERVER_STREAM_METHOD(InventoryService, WatchStock, v1::WatchStockRequest,
//                              v1::StockChange)
//
// Client streaming: absl::Status M(const Context&, rpc::StreamReader<Req>&, Resp&).
// Bidirectional:    absl::Status M(const Context&, rpc::StreamReader<Req>&,
//                                  rpc::StreamWriter<Resp>&).
#ifndef BATON_COMMON_RPC_STREAM_METHOD_H_
#define BATON_COMMON_RPC_STREAM_METHOD_H_

#include "common/context/context.h"
#include "common/rpc/server_stream.h"

#define BATON_SERVER_STREAM_METHOD_DECL(Method, Request, Response)                   \
  absl::Status Method(const ::baton::Context& ctx, const Request& request,            \
                      ::baton::rpc::StreamWriter<Response>& out);                     \
  grpc::ServerWriteReactor<Response>* Method(grpc::CallbackServerContext* call,       \
                                             const Request* request) override

#define BATON_SERVER_STREAM_METHOD(Class, Method, Request, Response)                            \
  grpc::ServerWriteReactor<Response>* Class::Method(grpc::CallbackServerContext* call,          \
                                                    const Request* request) {                   \
    return ::baton::rpc::ServeServerStream<Request, Response>(                                  \
        adapter_, call, request, #Method,                                                       \
        [this](const ::baton::Context& ctx, const Request& req,                                 \
               ::baton::rpc::StreamWriter<Response>& out) { return Method(ctx, req, out); });   \
  }

#define BATON_CLIENT_STREAM_METHOD_DECL(Method, Request, Response)                 \
  absl::Status Method(const ::baton::Context& ctx,                                  \
                      ::baton::rpc::StreamReader<Request>& in, Response& response); \
  grpc::ServerReadReactor<Request>* Method(grpc::CallbackServerContext* call,       \
                                           Response* response) override

#define BATON_CLIENT_STREAM_METHOD(Class, Method, Request, Response)                          \
  grpc::ServerReadReactor<Request>* Class::Method(grpc::CallbackServerContext* call,          \
                                                  Response* response) {                       \
    return ::baton::rpc::ServeClientStream<Request, Response>(                                \
        adapter_, call, response, #Method,                                                    \
        [this](const ::baton::Context& ctx, ::baton::rpc::StreamReader<Request>& in,          \
               Response& resp) { return Method(ctx, in, resp); });                            \
  }

#define BATON_BIDI_STREAM_METHOD_DECL(Method, Request, Response)                    \
  absl::Status Method(const ::baton::Context& ctx,                                   \
                      ::baton::rpc::StreamReader<Request>& in,                       \
                      ::baton::rpc::StreamWriter<Response>& out);                    \
  grpc::ServerBidiReactor<Request, Response>* Method(grpc::CallbackServerContext* call) override

#define BATON_BIDI_STREAM_METHOD(Class, Method, Request, Response)                              \
  grpc::ServerBidiReactor<Request, Response>* Class::Method(grpc::CallbackServerContext* call) { \
    return ::baton::rpc::ServeBidiStream<Request, Response>(                                    \
        adapter_, call, #Method,                                                                \
        [this](const ::baton::Context& ctx, ::baton::rpc::StreamReader<Request>& in,            \
               ::baton::rpc::StreamWriter<Response>& out) { return Method(ctx, in, out); });    \
  }

#endif  // BATON_COMMON_RPC_STREAM_METHOD_H_
