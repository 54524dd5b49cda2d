// ShopService: the shop's public API, and the edge of the suite.
//
// Every call is authenticated first: its x-api-key (api_keys.h) becomes the caller's
// identity, which travels on to every service behind the gateway as a Context value
// (RequestMetadata::identity, sent as x-baton-identity). The runtime runs the gateway
// as the edge (MetadataPolicy::edge), so whatever identity, tenant or budget headers a
// client sends are stripped before anything reads them.
//
// Thread safety: handlers run concurrently; the service holds no mutable state.
#ifndef BATON_SERVICES_GATEWAY_SHOP_SERVICE_H_
#define BATON_SERVICES_GATEWAY_SHOP_SERVICE_H_

#include <memory>

#include "baton/catalog/v1/catalog.grpc.pb.h"
#include "baton/inventory/v1/inventory.grpc.pb.h"
#include "baton/orders/v1/orders.grpc.pb.h"
#include "baton/shop/v1/shop.grpc.pb.h"
#include "common/rpc/client_call.h"
#include "common/rpc/server_adapter.h"
#include "common/rpc/stream_method.h"
#include "common/rpc/unary_method.h"
#include "common/storage/database.h"

namespace baton::gateway {

class ShopService final : public shop::v1::ShopService::CallbackService {
 public:
  struct Backends {
    std::unique_ptr<catalog::v1::CatalogService::Stub> catalog;
    std::unique_ptr<inventory::v1::InventoryService::Stub> inventory;
    std::unique_ptr<orders::v1::OrdersService::Stub> orders;
  };

  // `adapter` and `database` (which holds the API keys) must outlive the service.
  ShopService(rpc::ServerAdapter* adapter, storage::Database* database, Backends backends);

  // The unary methods answer when their backends do: no worker waits for them.
  BATON_UNARY_ASYNC_METHOD_DECL(ListProducts, catalog::v1::ListProductsRequest,
                                catalog::v1::ListProductsResponse);
  BATON_UNARY_ASYNC_METHOD_DECL(GetProduct, shop::v1::GetProductRequest,
                                shop::v1::ProductWithStock);
  BATON_UNARY_ASYNC_METHOD_DECL(PlaceOrder, orders::v1::PlaceOrderRequest, orders::v1::Order);
  BATON_UNARY_ASYNC_METHOD_DECL(GetOrder, orders::v1::GetOrderRequest, orders::v1::Order);
  BATON_SERVER_STREAM_METHOD_DECL(WatchProduct, shop::v1::WatchProductRequest,
                                  shop::v1::StockUpdate);

 private:
  // The request's Context with the caller's identity in place of its API key.
  absl::StatusOr<Context> Authenticated(const Context& ctx);
  // Authenticates (on the worker: the keys are in the database), then makes one call
  // downstream as the caller's identity; `reply` answers with its status.
  void Forward(const Context& ctx, const char* target, rpc::Starter start, rpc::Reply reply);

  rpc::ServerAdapter* const adapter_;
  storage::Database* const database_;
  const Backends backends_;
};

}  // namespace baton::gateway

#endif  // BATON_SERVICES_GATEWAY_SHOP_SERVICE_H_
