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
#include "common/rpc/stream_method.h"
#include "common/rpc/unary_method.h"
#include "common/storage/database.h"
#include "common/storage/migrations.h"

namespace baton::catalog {

// The schema, as versioned migrations.
std::vector<storage::Migration> Schema();

class CatalogService final : public v1::CatalogService::CallbackService {
 public:
  // Both must outlive the service.
  CatalogService(rpc::ServerAdapter* adapter, storage::Database* database);

  BATON_UNARY_METHOD_DECL(GetProduct, v1::GetProductRequest, v1::Product);
  BATON_UNARY_METHOD_DECL(ListProducts, v1::ListProductsRequest, v1::ListProductsResponse);
  BATON_UNARY_METHOD_DECL(UpsertProduct, v1::UpsertProductRequest, v1::Product);
  BATON_SERVER_STREAM_METHOD_DECL(StreamProducts, v1::StreamProductsRequest, v1::Product);

 private:
  rpc::ServerAdapter* const adapter_;
  storage::Database* const database_;
};

}  // namespace baton::catalog

#endif  // BATON_SERVICES_CATALOG_CATALOG_SERVICE_H_
