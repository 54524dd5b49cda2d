// The lines that connect a service's unary methods to their handlers through the
// server adapter.
//
//   // In the class: declares the blocking handler
//   //   absl::Status GetProduct(const Context&, const GetProductRequest&, Product&);
//   BATON_UNARY_METHOD_DECL(GetProduct, v1::GetProductRequest, v1::Product);
//   // In the constructor: the adapter serves the generated method with it.
//   BATON_SERVE_UNARY(v1::CatalogService, GetProduct, v1::GetProductRequest, v1::Product);
//
// The class needs a `rpc::ServerAdapter* adapter_` member, set before the constructor's
// body. The _WITH_OPTIONS form takes the method's rpc::MethodOptions (a minimum budget).
//
// BATON_UNARY_ASYNC_METHOD_DECL and BATON_SERVE_UNARY_ASYNC(_WITH_OPTIONS) do the same
// for a handler that answers through a Reply (ServerAdapter::ServeUnaryAsync),
// typically when an outbound call completes:
//   void PlaceOrder(const Context&, const PlaceOrderRequest&, Order&, rpc::Reply reply);
#ifndef BATON_COMMON_RPC_UNARY_METHOD_H_
#define BATON_COMMON_RPC_UNARY_METHOD_H_

#include <type_traits>
#include <utility>

#include "common/context/context.h"
#include "common/rpc/server_adapter.h"

// The class serving a method of `Generated` must be one of its generated services.
#define BATON_SERVED_BY_THIS(Generated)                                                         \
  static_assert(std::is_base_of_v<Generated::Service, std::remove_pointer_t<decltype(this)>>, \
                "the service must derive from " #Generated "'s generated service")

#define BATON_UNARY_METHOD_DECL(Method, Request, Response) \
  absl::Status Method(const ::baton::Context& ctx, const Request& request, Response& response)

#define BATON_SERVE_UNARY_WITH_OPTIONS(Generated, Method, Request, Response, options)          \
  BATON_SERVED_BY_THIS(Generated);                                                             \
  adapter_->ServeUnary<Request, Response>(                                                     \
      this, Generated::service_full_name(), #Method,                                           \
      [this](const ::baton::Context& ctx, const Request& request, Response& response) {       \
        return Method(ctx, request, response);                                                 \
      },                                                                                       \
      options)

#define BATON_SERVE_UNARY(Generated, Method, Request, Response)        \
  BATON_SERVE_UNARY_WITH_OPTIONS(Generated, Method, Request, Response, \
                                 ::baton::rpc::MethodOptions{})

#define BATON_UNARY_ASYNC_METHOD_DECL(Method, Request, Response)                       \
  void Method(const ::baton::Context& ctx, const Request& request, Response& response, \
              ::baton::rpc::Reply reply)

#define BATON_SERVE_UNARY_ASYNC_WITH_OPTIONS(Generated, Method, Request, Response, options)    \
  BATON_SERVED_BY_THIS(Generated);                                                             \
  adapter_->ServeUnaryAsync<Request, Response>(                                                \
      this, Generated::service_full_name(), #Method,                                           \
      [this](const ::baton::Context& ctx, const Request& request, Response& response,         \
             ::baton::rpc::Reply reply) { Method(ctx, request, response, std::move(reply)); }, \
      options)

#define BATON_SERVE_UNARY_ASYNC(Generated, Method, Request, Response)        \
  BATON_SERVE_UNARY_ASYNC_WITH_OPTIONS(Generated, Method, Request, Response, \
                                       ::baton::rpc::MethodOptions{})

#endif  // BATON_COMMON_RPC_UNARY_METHOD_H_
