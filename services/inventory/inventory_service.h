// InventoryService: stock per SKU and reservations of it (the state machine is in
// inventory.proto).
//
// Never oversells: a reservation takes each SKU's units with one conditional update
// ("available >= n") inside a transaction, so however many reservations race for the
// last units, the database lets exactly as many through as there are units, and a
// reservation that cannot take every item takes none.
//
// WatchStock streams hold a stream thread each for their life (server_stream.h) and
// read the stock again whenever a change commits in this process (stock_changes.h).
//
// Thread safety: handlers run concurrently; the service's state is in its database.
#ifndef BATON_SERVICES_INVENTORY_INVENTORY_SERVICE_H_
#define BATON_SERVICES_INVENTORY_INVENTORY_SERVICE_H_

#include <string>
#include <vector>

#include "baton/inventory/v1/inventory.grpc.pb.h"
#include "common/rpc/server_adapter.h"
#include "common/rpc/stream_method.h"
#include "common/rpc/unary_method.h"
#include "common/storage/database.h"
#include "common/storage/migrations.h"
#include "services/inventory/stock_changes.h"

namespace baton::inventory {

// The schema, as versioned migrations.
std::vector<storage::Migration> Schema();

class InventoryService final : public v1::InventoryService::CallbackService {
 public:
  // Both must outlive the service.
  InventoryService(rpc::ServerAdapter* adapter, storage::Database* database);

  BATON_UNARY_METHOD_DECL(GetStock, v1::GetStockRequest, v1::Stock);
  BATON_UNARY_METHOD_DECL(Reserve, v1::ReserveRequest, v1::Reservation);
  BATON_UNARY_METHOD_DECL(Release, v1::ReleaseRequest, v1::Reservation);
  BATON_UNARY_METHOD_DECL(Commit, v1::CommitRequest, v1::Reservation);
  BATON_UNARY_METHOD_DECL(SetStock, v1::SetStockRequest, v1::Stock);
  BATON_SERVER_STREAM_METHOD_DECL(WatchStock, v1::WatchStockRequest, v1::Stock);

 private:
  // Each SKU's stock row, as Stock messages, in the order asked.
  absl::StatusOr<std::vector<v1::Stock>> ReadStock(const Context& ctx,
                                                   const std::vector<std::string>& skus);
  // `status`, after telling the watchers that stock changed if it is OK.
  absl::Status Published(absl::Status status) {
    if (status.ok()) changes_.Publish();
    return status;
  }

  rpc::ServerAdapter* const adapter_;
  storage::Database* const database_;
  StockChanges changes_;
};

}  // namespace baton::inventory

#endif  // BATON_SERVICES_INVENTORY_INVENTORY_SERVICE_H_
