// BATON_UNARY_METHOD: the one line that connects a generated callback method to its
// blocking handler through the server adapter.
//
//   // In the class: declares the blocking handler
//   //   absl::Status GetProduct(const Context&, const GetProductRequest&, Product&);
//   // and the generated method's override, which calls it.
//   BATON_UNARY_METHOD_DECL(GetProduct, v1::GetProductRequest, v1::Product);
//   // In the .cc file: the override; the handler is written as usual.
//   BATON_UNARY_METHOD(CatalogService, GetProduct, v1::GetProductRequest, v1::Product)
//
// The class needs a `rpc::ServerAdapter* adapter_` member. The _WITH_OPTIONS form takes
// the method's rpc::MethodOptions (a minimum budget, running inline).
//
// BATON_UNARY_ASYNC_METHOD(_DECL, _WITH_OPTIONS) do the same for a handler that answers
// through a Reply (ServerAdapter::UnaryAsync), typically when an outbound call completes
// (with run_inline, a method that only forwards needs no worker at all):
//   void PlaceOrder(const Context&, const PlaceOrderRequest&, Order&, rpc::Reply reply);
#ifndef BATON_COMMON_RPC_UNARY_METHOD_H_
#define BATON_COMMON_RPC_UNARY_METHOD_H_

#include <utility>

#include "common/context/context.h"
#include "common/rpc/server_adapter.h"

#define BATON_UNARY_METHOD_DECL(Method, Request, Response)                                      \
  absl::Status Method(const ::baton::Context& ctx, const Request& request, Response& response); \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* call, const Request* request,   \
                                   Response* response) override

#define BATON_UNARY_METHOD_WITH_OPTIONS(Class, Method, Request, Response, options)      \
  grpc::ServerUnaryReactor* Class::Method(grpc::CallbackServerContext* call,            \
                                          const Request* request, Response* response) { \
    return adapter_->Unary(                                                             \
        call, request, response, #Method,                                               \
        [this](const ::baton::Context& ctx, const Request& req, Response& resp) {       \
          return Method(ctx, req, resp);                                                \
        },                                                                              \
        options);                                                                       \
  }

#define BATON_UNARY_METHOD(Class, Method, Request, Response) \
  BATON_UNARY_METHOD_WITH_OPTIONS(Class, Method, Request, Response, ::baton::rpc::MethodOptions{})

#define BATON_UNARY_ASYNC_METHOD_DECL(Method, Request, Response)                            \
  void Method(const ::baton::Context& ctx, const Request& request, Response& response,      \
              ::baton::rpc::Reply reply);                                                    \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* call, const Request* request, \
                                   Response* response) override

#define BATON_UNARY_ASYNC_METHOD_WITH_OPTIONS(Class, Method, Request, Response, options)     \
  grpc::ServerUnaryReactor* Class::Method(grpc::CallbackServerContext* call,                 \
                                          const Request* request, Response* response) {      \
    return adapter_->UnaryAsync(                                                             \
        call, request, response, #Method,                                                    \
        [this](const ::baton::Context& ctx, const Request& req, Response& resp,              \
               ::baton::rpc::Reply reply) { Method(ctx, req, resp, std::move(reply)); },     \
        options);                                                                            \
  }

#define BATON_UNARY_ASYNC_METHOD(Class, Method, Request, Response)      \
  BATON_UNARY_ASYNC_METHOD_WITH_OPTIONS(Class, Method, Request, Response, \
                                        ::baton::rpc::MethodOptions{})

#endif  // BATON_COMMON_RPC_UNARY_METHOD_H_
