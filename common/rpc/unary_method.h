// BATON_UNARY_METHOD: the one line that connects a generated callback method to its
// blocking handler through the server adapter.
//
//   // In the class: the blocking handler, and the generated override.
//   absl::Status GetProduct(const Context& ctx, const GetProductRequest& request,
//                           Product& product);
//   grpc::ServerUnaryReactor* GetProduct(grpc::CallbackServerContext* call,
//                                        const GetProductRequest* request,
//                                        Product* response) override;
//   // In the .cc file:
//   BATON_UNARY_METHOD(CatalogService, GetProduct, v1::GetProductRequest, v1::Product)
//
// The class needs a `rpc::ServerAdapter* adapter_` member. The _WITH_OPTIONS form takes
// the method's rpc::MethodOptions (a minimum budget, running inline).
#ifndef BATON_COMMON_RPC_UNARY_METHOD_H_
#define BATON_COMMON_RPC_UNARY_METHOD_H_

#include "common/context/context.h"
#include "common/rpc/server_adapter.h"

#define BATON_UNARY_METHOD_WITH_OPTIONS(Class, Method, Request, Response, options)        \
  grpc::ServerUnaryReactor* Class::Method(grpc::CallbackServerContext* call,             \
                                          const Request* request, Response* response) {  \
    return adapter_->Unary(                                                              \
        call, request, response, #Method,                                                \
        [this](const ::baton::Context& ctx, const Request& req, Response& resp) {        \
          return Method(ctx, req, resp);                                                 \
        },                                                                               \
        options);                                                                        \
  }

#define BATON_UNARY_METHOD(Class, Method, Request, Response) \
  BATON_UNARY_METHOD_WITH_OPTIONS(Class, Method, Request, Response, ::baton::rpc::MethodOptions{})

#endif  // BATON_COMMON_RPC_UNARY_METHOD_H_
