// baton-catalog: the shop's product catalog.
#include <memory>
#include <vector>

#include "common/runtime/service_main.h"
#include "services/catalog/catalog_service.h"

int main(int argc, char** argv) {
  using baton::runtime::ServiceEnvironment;
  return baton::runtime::RunService(
      {.name = "catalog",
       .summary = "baton-catalog: the shop's products (GetProduct, ListProducts, "
                  "UpsertProduct), served over gRPC.",
       .default_listen = "127.0.0.1:50051",
       .grpc_services = {"baton.catalog.v1.CatalogService"},
       .migrations = baton::catalog::Schema(),
       .build = [](const ServiceEnvironment& env)
           -> absl::StatusOr<std::vector<std::unique_ptr<grpc::Service>>> {
         std::vector<std::unique_ptr<grpc::Service>> services;
         services.push_back(
             std::make_unique<baton::catalog::CatalogService>(env.adapter, env.database));
         return services;
       }},
      argc, argv);
}
