// InventoryService: stock per SKU and reservations of it (the state machine is in
// inventory.proto).
//
// Never oversells: a reservation takes each SKU's units with one conditional update
// ("available >= n") inside a transaction, so however many reservations race for the
// last units, the database lets exactly as many through as there are units, and a
// reservation that cannot take every item takes none.
//
// Thread safety: handlers run concurrently; the service holds no mutable state.
#ifndef BATON_SERVICES_INVENTORY_INVENTORY_SERVICE_H_
#define BATON_SERVICES_INVENTORY_INVENTORY_SERVICE_H_

#include <vector>

#include "baton/inventory/v1/inventory.grpc.pb.h"
#include "common/rpc/server_adapter.h"
#include "common/storage/database.h"
#include "common/storage/migrations.h"

namespace baton::inventory {

// The schema, as versioned migrations.
std::vector<storage::Migration> Schema();

class InventoryService final : public v1::InventoryService::CallbackService {
 public:
  // Both must outlive the service.
  InventoryService(rpc::ServerAdapter* adapter, storage::Database* database)
      : adapter_(adapter), database_(database) {}

  absl::Status GetStock(const Context& ctx, const v1::GetStockRequest& request,
                        v1::Stock& stock);
  absl::Status Reserve(const Context& ctx, const v1::ReserveRequest& request,
                       v1::Reservation& reservation);
  absl::Status Release(const Context& ctx, const v1::ReleaseRequest& request,
                       v1::Reservation& reservation);
  absl::Status Commit(const Context& ctx, const v1::CommitRequest& request,
                      v1::Reservation& reservation);
  absl::Status SetStock(const Context& ctx, const v1::SetStockRequest& request,
                        v1::Stock& stock);

  grpc::ServerUnaryReactor* GetStock(grpc::CallbackServerContext* call,
                                     const v1::GetStockRequest* request,
                                     v1::Stock* response) override;
  grpc::ServerUnaryReactor* Reserve(grpc::CallbackServerContext* call,
                                    const v1::ReserveRequest* request,
                                    v1::Reservation* response) override;
  grpc::ServerUnaryReactor* Release(grpc::CallbackServerContext* call,
                                    const v1::ReleaseRequest* request,
                                    v1::Reservation* response) override;
  grpc::ServerUnaryReactor* Commit(grpc::CallbackServerContext* call,
                                   const v1::CommitRequest* request,
                                   v1::Reservation* response) override;
  grpc::ServerUnaryReactor* SetStock(grpc::CallbackServerContext* call,
                                     const v1::SetStockRequest* request,
                                     v1::Stock* response) override;

 private:
  rpc::ServerAdapter* const adapter_;
  storage::Database* const database_;
};

}  // namespace baton::inventory

#endif  // BATON_SERVICES_INVENTORY_INVENTORY_SERVICE_H_
