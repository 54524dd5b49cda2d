// seed_demo: fills a freshly started suite with demo products and stock, through the
// services' own APIs (catalog.UpsertProduct, inventory.SetStock).
//
//   seed_demo --catalog=127.0.0.1:50051 --inventory=127.0.0.1:50052
//
// Idempotent: running it again resets the same products and stock levels.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "baton/catalog/v1/catalog.grpc.pb.h"
#include "baton/inventory/v1/inventory.grpc.pb.h"
#include "common/context/context.h"
#include "common/rpc/client_call.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

ABSL_FLAG(std::string, catalog, "127.0.0.1:50051", "Address of baton-catalog.");
ABSL_FLAG(std::string, inventory, "127.0.0.1:50052", "Address of baton-inventory.");

namespace {

struct DemoProduct {
  const char* sku;
  const char* name;
  const char* category;
  int64_t price_cents;
  int64_t stock;
};

constexpr DemoProduct kProducts[] = {
    {"tea-green", "Green tea, 100 g", "tea", 650, 100},
    {"tea-black", "Assam black tea, 100 g", "tea", 590, 100},
    {"coffee-beans", "Espresso beans, 500 g", "coffee", 1490, 50},
    {"mug-blue", "Blue stoneware mug", "kitchen", 1200, 25},
    {"kettle-last", "Copper kettle (last few)", "kitchen", 7900, 3},
};

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Seeds demo products and stock into a running suite.");
  absl::ParseCommandLine(argc, argv);
  auto catalog = baton::catalog::v1::CatalogService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_catalog), grpc::InsecureChannelCredentials()));
  auto inventory = baton::inventory::v1::InventoryService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_inventory), grpc::InsecureChannelCredentials()));
  auto [ctx, cancel] = baton::WithTimeout(baton::Background(), absl::Seconds(30));
  for (const DemoProduct& demo : kProducts) {
    baton::catalog::v1::UpsertProductRequest upsert;
    baton::catalog::v1::Product* product = upsert.mutable_product();
    product->set_sku(demo.sku);
    product->set_name(demo.name);
    product->set_category(demo.category);
    product->set_price_cents(demo.price_cents);
    baton::catalog::v1::Product stored;
    absl::Status status =
        baton::rpc::Call(ctx, {.target = "catalog.UpsertProduct"},
                         [&](grpc::ClientContext* call, baton::rpc::Done done) {
                           catalog->async()->UpsertProduct(call, &upsert, &stored, std::move(done));
                         });
    if (!status.ok()) {
      std::fprintf(stderr, "seed_demo: %s\n", status.ToString().c_str());
      return 1;
    }
    baton::inventory::v1::SetStockRequest set;
    set.set_sku(demo.sku);
    set.set_available(demo.stock);
    baton::inventory::v1::Stock stock;
    status = baton::rpc::Call(ctx, {.target = "inventory.SetStock"},
                              [&](grpc::ClientContext* call, baton::rpc::Done done) {
                                inventory->async()->SetStock(call, &set, &stock, std::move(done));
                              });
    if (!status.ok()) {
      std::fprintf(stderr, "seed_demo: %s\n", status.ToString().c_str());
      return 1;
    }
  }
  std::printf("seeded %zu products\n", std::size(kProducts));
  return 0;
}
