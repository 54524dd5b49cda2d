// baton-gateway: the shop's public API (baton.shop.v1.ShopService), behind API keys.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "common/runtime/service_main.h"
#include "services/gateway/api_keys.h"
#include "services/gateway/shop_service.h"

ABSL_FLAG(std::string, catalog_address, "127.0.0.1:50051", "Address of baton-catalog.");
ABSL_FLAG(std::string, inventory_address, "127.0.0.1:50052", "Address of baton-inventory.");
ABSL_FLAG(std::string, orders_address, "127.0.0.1:50053", "Address of baton-orders.");
ABSL_FLAG(std::string, create_api_key, "",
          "Create an API key for this identity, print it on stdout (the only time it is "
          "shown; only its hash is stored) and exit.");

namespace {

using baton::runtime::ServiceEnvironment;

std::optional<int> CreateApiKeyCommand(const ServiceEnvironment& env) {
  const std::string identity = absl::GetFlag(FLAGS_create_api_key);
  if (identity.empty()) return std::nullopt;
  auto [ctx, cancel] = baton::WithTimeout(baton::Background(), absl::Seconds(30));
  absl::StatusOr<std::string> key = baton::gateway::CreateApiKey(ctx, *env.database, identity);
  if (!key.ok()) {
    baton::runtime::LogEvent(env.name, "failed", {{"error", key.status().ToString()}});
    return 1;
  }
  std::printf("%s\n", key->c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return baton::runtime::RunService(
      {.name = "gateway",
       .summary = "baton-gateway: the shop's public API (baton.shop.v1.ShopService). "
                  "Every call needs an x-api-key; create one with --create_api_key=NAME.",
       .default_listen = "127.0.0.1:50050",
       .grpc_services = {"baton.shop.v1.ShopService"},
       .edge = true,
       .migrations = baton::gateway::Schema(),
       .build = [](const ServiceEnvironment& env)
           -> absl::StatusOr<std::vector<std::unique_ptr<grpc::Service>>> {
         auto catalog = env.Dial("catalog_address", absl::GetFlag(FLAGS_catalog_address));
         if (!catalog.ok()) return catalog.status();
         auto inventory = env.Dial("inventory_address", absl::GetFlag(FLAGS_inventory_address));
         if (!inventory.ok()) return inventory.status();
         auto orders = env.Dial("orders_address", absl::GetFlag(FLAGS_orders_address));
         if (!orders.ok()) return orders.status();
         std::vector<std::unique_ptr<grpc::Service>> services;
         services.push_back(std::make_unique<baton::gateway::ShopService>(
             env.adapter, env.database,
             baton::gateway::ShopService::Backends{
                 .catalog = baton::catalog::v1::CatalogService::NewStub(*catalog),
                 .inventory = baton::inventory::v1::InventoryService::NewStub(*inventory),
                 .orders = baton::orders::v1::OrdersService::NewStub(*orders)}));
         return services;
       },
       .command = CreateApiKeyCommand},
      argc, argv);
}
