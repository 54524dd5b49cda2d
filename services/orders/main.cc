// baton-orders: places orders (catalog lookups, stock reservation, one transaction).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "common/runtime/service_main.h"
#include "services/orders/orders_service.h"

ABSL_FLAG(std::string, catalog_address, "127.0.0.1:50051", "Address of baton-catalog.");
ABSL_FLAG(std::string, inventory_address, "127.0.0.1:50052", "Address of baton-inventory.");
ABSL_FLAG(absl::Duration, cleanup_timeout, absl::Seconds(2),
          "Budget for releasing a reservation after an order failed or was abandoned.");
ABSL_FLAG(absl::Duration, release_window, absl::Seconds(30),
          "Age at which a reservation still unsettled (its request cut off by a crash, or "
          "inventory unreachable) is committed or released by the reconciler; longer than "
          "any PlaceOrder may take.");

int main(int argc, char** argv) {
  using baton::runtime::ServiceEnvironment;
  return baton::runtime::RunService(
      {.name = "orders",
       .summary = "baton-orders: places and reads orders (PlaceOrder, GetOrder, ListOrders), "
                  "calling baton-catalog and baton-inventory.",
       .default_listen = "127.0.0.1:50053",
       .grpc_services = {"baton.orders.v1.OrdersService"},
       .migrations = baton::orders::Schema(),
       .build = [](const ServiceEnvironment& env)
           -> absl::StatusOr<std::vector<std::unique_ptr<grpc::Service>>> {
         auto catalog = env.Dial("catalog_address", absl::GetFlag(FLAGS_catalog_address));
         if (!catalog.ok()) return catalog.status();
         auto inventory = env.Dial("inventory_address", absl::GetFlag(FLAGS_inventory_address));
         if (!inventory.ok()) return inventory.status();
         const absl::Duration cleanup = absl::GetFlag(FLAGS_cleanup_timeout);
         if (cleanup <= absl::ZeroDuration()) {
           return absl::InvalidArgumentError("--cleanup_timeout: must be positive");
         }
         const absl::Duration window = absl::GetFlag(FLAGS_release_window);
         if (window <= absl::ZeroDuration()) {
           return absl::InvalidArgumentError("--release_window: must be positive");
         }
         std::vector<std::unique_ptr<grpc::Service>> services;
         services.push_back(std::make_unique<baton::orders::OrdersService>(
             env.adapter, env.database, env.background,
             baton::catalog::v1::CatalogService::NewStub(*catalog),
             baton::inventory::v1::InventoryService::NewStub(*inventory),
             baton::orders::OrdersService::Options{
                 .cleanup_timeout = cleanup,
                 .release_window = window,
                 .reconcile_interval = std::clamp(window / 4, absl::Milliseconds(50),
                                                  absl::Seconds(5))}));
         return services;
       }},
      argc, argv);
}
