// CatalogService: the shop's products, kept in storage.
//
// Handlers are plain blocking code on the adapter's worker pool; each storage call
// takes the request's Context, so a caller that gives up stops the query it started.
//
// Thread safety: handlers run concurrently; the service holds no mutable state.
#ifndef BATON_SERVICES_CATALOG_CATALOG_SERVICE_H_
#define BATON_SERVICES_CATALOG_CATALOG_SERVICE_H_

#include <vector>

#include "baton/catalog/v1/catalog.grpc.pb.h"
#include "common/rpc/server_adapter.h"
#include "common/storage/database.h"
#include "common/storage/migrations.h"

namespace baton::catalog {

// The schema, as versioned migrations.
std::vector<storage::Migration> Schema();

class CatalogService final : public v1::CatalogService::CallbackService {
 public:
  // Both must outlive the service.
  CatalogService(rpc::ServerAdapter* adapter, storage::Database* database)
      : adapter_(adapter), database_(database) {}

  absl::Status GetProduct(const Context& ctx, const v1::GetProductRequest& request,
                          v1::Product& product);
  absl::Status ListProducts(const Context& ctx, const v1::ListProductsRequest& request,
                            v1::ListProductsResponse& response);
  absl::Status UpsertProduct(const Context& ctx, const v1::UpsertProductRequest& request,
                             v1::Product& product);

  grpc::ServerUnaryReactor* GetProduct(grpc::CallbackServerContext* call,
                                       const v1::GetProductRequest* request,
                                       v1::Product* response) override;
  grpc::ServerUnaryReactor* ListProducts(grpc::CallbackServerContext* call,
                                         const v1::ListProductsRequest* request,
                                         v1::ListProductsResponse* response) override;
  grpc::ServerUnaryReactor* UpsertProduct(grpc::CallbackServerContext* call,
                                          const v1::UpsertProductRequest* request,
                                          v1::Product* response) override;

 private:
  rpc::ServerAdapter* const adapter_;
  storage::Database* const database_;
};

}  // namespace baton::catalog

#endif  // BATON_SERVICES_CATALOG_CATALOG_SERVICE_H_
