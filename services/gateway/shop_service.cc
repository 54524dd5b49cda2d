#include "services/gateway/shop_service.h"

#include <memory>
#include <optional>
#include <utility>

#include "common/rpc/client_call.h"
#include "common/rpc/client_stream.h"
#include "common/rpc/fan_out.h"
#include "common/rpc/request_metadata.h"
#include "common/rpc/unary_method.h"
#include "services/gateway/api_keys.h"
#include "services/shared/fields.h"

namespace baton::gateway {

absl::StatusOr<Context> ShopService::Authenticated(const Context& ctx) {
  const rpc::RequestMetadata* incoming = rpc::MetadataOf(ctx);
  if (incoming == nullptr) return absl::UnauthenticatedError("the x-api-key header is required");
  absl::StatusOr<std::string> identity = Authenticate(ctx, *database_, incoming->api_key);
  if (!identity.ok()) return identity.status();
  rpc::RequestMetadata metadata = *incoming;
  metadata.api_key.clear();
  metadata.identity = *std::move(identity);
  return WithValue(ctx, rpc::kRequestMetadata, std::move(metadata));
}

void ShopService::Forward(const Context& ctx, const char* target, rpc::Starter start,
                          rpc::Reply reply) {
  absl::StatusOr<Context> caller = Authenticated(ctx);
  if (!caller.ok()) {
    std::move(reply)(caller.status());
    return;
  }
  rpc::CallAsync(*caller, {.target = target}, std::move(start), std::move(reply));
}

void ShopService::ListProducts(const Context& ctx, const catalog::v1::ListProductsRequest& request,
                               catalog::v1::ListProductsResponse& response, rpc::Reply reply) {
  Forward(
      ctx, "catalog.ListProducts",
      [this, &request, &response](grpc::ClientContext* call, rpc::Done done) {
        backends_.catalog->async()->ListProducts(call, &request, &response, std::move(done));
      },
      std::move(reply));
}

void ShopService::GetProduct(const Context& ctx, const shop::v1::GetProductRequest& request,
                             shop::v1::ProductWithStock& response, rpc::Reply reply) {
  absl::StatusOr<Context> caller = Authenticated(ctx);
  if (!caller.ok()) {
    std::move(reply)(caller.status());
    return;
  }
  if (absl::Status s = shop::CheckSku("sku", request.sku()); !s.ok()) {
    std::move(reply)(std::move(s));
    return;
  }
  // What the two lookups send and receive, until both have ended.
  struct Lookups {
    catalog::v1::GetProductRequest product_request;
    inventory::v1::GetStockRequest stock_request;
    inventory::v1::Stock stock;
  };
  auto lookups = std::make_shared<Lookups>();
  lookups->product_request.set_sku(request.sku());
  lookups->stock_request.set_sku(request.sku());
  std::vector<rpc::FanOutCall> calls;
  calls.push_back({{.target = "catalog.GetProduct"},
                   [this, lookups, product = response.mutable_product()](
                       grpc::ClientContext* call, rpc::Done done) {
                     backends_.catalog->async()->GetProduct(call, &lookups->product_request,
                                                            product, std::move(done));
                   }});
  calls.push_back({{.target = "inventory.GetStock"},
                   [this, lookups](grpc::ClientContext* call, rpc::Done done) {
                     backends_.inventory->async()->GetStock(call, &lookups->stock_request,
                                                            &lookups->stock, std::move(done));
                   }});
  rpc::FanOutAsync(*caller, std::move(calls),
                   [lookups, &response, reply = std::move(reply)](absl::Status found) mutable {
                     if (found.ok()) response.set_available(lookups->stock.available());
                     std::move(reply)(std::move(found));
                   });
}

void ShopService::PlaceOrder(const Context& ctx, const orders::v1::PlaceOrderRequest& request,
                             orders::v1::Order& response, rpc::Reply reply) {
  Forward(
      ctx, "orders.PlaceOrder",
      [this, &request, &response](grpc::ClientContext* call, rpc::Done done) {
        backends_.orders->async()->PlaceOrder(call, &request, &response, std::move(done));
      },
      std::move(reply));
}

void ShopService::GetOrder(const Context& ctx, const orders::v1::GetOrderRequest& request,
                           orders::v1::Order& response, rpc::Reply reply) {
  Forward(
      ctx, "orders.GetOrder",
      [this, &request, &response](grpc::ClientContext* call, rpc::Done done) {
        backends_.orders->async()->GetOrder(call, &request, &response, std::move(done));
      },
      std::move(reply));
}

absl::Status ShopService::WatchProduct(const Context& ctx,
                                       const shop::v1::WatchProductRequest& request,
                                       rpc::StreamWriter<shop::v1::StockUpdate>& out) {
  absl::StatusOr<Context> caller = Authenticated(ctx);
  if (!caller.ok()) return caller.status();
  if (absl::Status s = shop::CheckSku("sku", request.sku()); !s.ok()) return s;
  inventory::v1::WatchStockRequest watch;
  watch.add_skus(request.sku());
  auto inner = rpc::ClientStreamReader<inventory::v1::Stock>::Open(
      *caller, "inventory.WatchStock",
      [&](grpc::ClientContext* call, grpc::ClientReadReactor<inventory::v1::Stock>* reactor) {
        backends_.inventory->async()->WatchStock(call, &watch, reactor);
      });
  inventory::v1::Stock stock;
  shop::v1::StockUpdate update;
  absl::StatusOr<bool> more;
  std::optional<int64_t> sent;
  while ((more = inner->Read(stock)).ok() && *more) {
    // Inventory reports every change of the stock row; callers see what they can
    // order, so only a change of that is news.
    if (sent == stock.available()) continue;
    update.set_sku(stock.sku());
    update.set_available(stock.available());
    if (absl::Status written = out.Write(update); !written.ok()) return written;
    sent = stock.available();
  }
  // The inner stream's end is this one's: its status, or the Context's cause.
  absl::Status finished = inner->Finish();
  return more.ok() ? finished : more.status();
}

ShopService::ShopService(rpc::ServerAdapter* adapter, storage::Database* database,
                         Backends backends)
    : adapter_(adapter), database_(database), backends_(std::move(backends)) {
  BATON_SERVE_UNARY_ASYNC(shop::v1::ShopService, ListProducts, catalog::v1::ListProductsRequest,
                          catalog::v1::ListProductsResponse);
  BATON_SERVE_UNARY_ASYNC(shop::v1::ShopService, GetProduct, shop::v1::GetProductRequest,
                          shop::v1::ProductWithStock);
  BATON_SERVE_UNARY_ASYNC(shop::v1::ShopService, PlaceOrder, orders::v1::PlaceOrderRequest,
                          orders::v1::Order);
  BATON_SERVE_UNARY_ASYNC(shop::v1::ShopService, GetOrder, orders::v1::GetOrderRequest,
                          orders::v1::Order);
}

BATON_SERVER_STREAM_METHOD(ShopService, WatchProduct, shop::v1::WatchProductRequest,
                           shop::v1::StockUpdate)

}  // namespace baton::gateway

