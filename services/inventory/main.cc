// baton-inventory: stock per SKU and reservations for orders.
#include <memory>
#include <vector>

#include "common/runtime/service_main.h"
#include "services/inventory/inventory_service.h"

int main(int argc, char** argv) {
  using baton::runtime::ServiceEnvironment;
  return baton::runtime::RunService(
      {.name = "inventory",
       .summary = "baton-inventory: stock per SKU and its reservations (GetStock, Reserve, "
                  "Release, Commit, SetStock), served over gRPC.",
       .default_listen = "127.0.0.1:50052",
       .grpc_services = {"baton.inventory.v1.InventoryService"},
       .migrations = baton::inventory::Schema(),
       .build = [](const ServiceEnvironment& env)
           -> absl::StatusOr<std::vector<std::unique_ptr<grpc::Service>>> {
         std::vector<std::unique_ptr<grpc::Service>> services;
         services.push_back(
             std::make_unique<baton::inventory::InventoryService>(env.adapter, env.database));
         return services;
       }},
      argc, argv);
}
