// OrdersService: places orders and reads them back.
//
// PlaceOrder, under the request's Context:
//   1. A retry (same caller identity and x-request-id as an order already placed)
//      returns that order.
//   2. Every product is looked up in the catalog in parallel; the first failure
//      (an unknown SKU, the deadline) cancels the other lookups.
//   3. Stock is reserved in inventory under a fresh order id, recorded as pending
//      first (pending_reservations.h).
//   4. The order and its lines are written in one transaction, which also marks the
//      reservation PLACED; the idempotency key is unique, so of two concurrent
//      attempts with one key exactly one order is stored.
//   5. The reservation is committed.
// If the order is not stored after step 3 began — an error, the deadline, the caller
// gone — the reservation is released on a WithoutCancel Context with its own short
// deadline (cleanup_timeout): the stock comes back even though the caller is gone. The
// release runs as background work, so the failure is answered at once (a caller whose
// deadline is near gets the real error, not its own timeout). A commit or release that
// cannot be done then (inventory down, this process killed) is done by the reconciler
// once the reservation is older than the release window (reservation_reconciler.h).
//
// Orders belong to the identity that placed them (the gateway's authenticated caller);
// another identity cannot read them.
//
// Thread safety: handlers run concurrently; the service's state is in its database.
#ifndef BATON_SERVICES_ORDERS_ORDERS_SERVICE_H_
#define BATON_SERVICES_ORDERS_ORDERS_SERVICE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "baton/catalog/v1/catalog.grpc.pb.h"
#include "baton/inventory/v1/inventory.grpc.pb.h"
#include "baton/orders/v1/orders.grpc.pb.h"
#include "common/rpc/server_adapter.h"
#include "common/rpc/unary_method.h"
#include "common/runtime/background_work.h"
#include "common/storage/database.h"
#include "common/storage/migrations.h"
#include "services/orders/pending_reservations.h"
#include "services/orders/reservation_reconciler.h"

namespace baton::orders {

// The schema, as versioned migrations.
std::vector<storage::Migration> Schema();

class OrdersService final : public v1::OrdersService::CallbackService {
 public:
  struct Options {
    // Budget of the cleanup (releasing a reservation) after the request failed.
    absl::Duration cleanup_timeout = absl::Seconds(2);
    // How old an unsettled reservation gets before the reconciler settles it; longer
    // than any PlaceOrder may take (reservation_reconciler.h).
    absl::Duration release_window = absl::Seconds(30);
    absl::Duration reconcile_interval = absl::Seconds(5);
  };

  // `adapter`, `database` and `background` must outlive the service.
  OrdersService(rpc::ServerAdapter* adapter, storage::Database* database,
                runtime::BackgroundWork* background,
                std::unique_ptr<catalog::v1::CatalogService::Stub> catalog,
                std::unique_ptr<inventory::v1::InventoryService::Stub> inventory, Options options);

  BATON_UNARY_METHOD_DECL(PlaceOrder, v1::PlaceOrderRequest, v1::Order);
  BATON_UNARY_METHOD_DECL(GetOrder, v1::GetOrderRequest, v1::Order);
  BATON_UNARY_METHOD_DECL(ListOrders, v1::ListOrdersRequest, v1::ListOrdersResponse);

 private:
  absl::Status LookUpProducts(const Context& ctx, const v1::PlaceOrderRequest& request,
                              v1::Order& order);
  absl::Status Reserve(const Context& ctx, const v1::PlaceOrderRequest& request,
                       const std::string& order_id);
  absl::Status Store(const Context& ctx, const std::string& key, const std::string& owner,
                     const v1::Order& order);
  // The cleanup of an order that was not stored: releases its reservation, in the
  // background, on a Context that outlives the request's cancellation.
  void Abandon(const Context& ctx, const std::string& order_id);
  // Drops the pending entry of a reservation inventory refused, in the background.
  void Forget(const Context& ctx, const std::string& order_id);
  void CommitReservation(const Context& ctx, const std::string& order_id);
  // Settles a pending reservation (commit if its order is stored, release if not) and
  // forgets it once inventory confirms. Used inline and by the reconciler.
  absl::Status Settle(const Context& ctx, const PendingReservations::Entry& entry);
  absl::Status SettleInInventory(const Context& ctx, const std::string& order_id,
                                 PendingReservations::State state);
  absl::StatusOr<std::optional<v1::Order>> LoadWhere(const Context& ctx, std::string_view condition,
                                                     const std::vector<storage::Value>& params);
  absl::Status LoadLines(const Context& ctx, v1::Order& order);

  rpc::ServerAdapter* const adapter_;
  storage::Database* const database_;
  runtime::BackgroundWork* const background_;
  const std::unique_ptr<catalog::v1::CatalogService::Stub> catalog_;
  const std::unique_ptr<inventory::v1::InventoryService::Stub> inventory_;
  const Options options_;
  PendingReservations pending_;
  // Last: its thread stops before anything it uses goes.
  const std::unique_ptr<ReservationReconciler> reconciler_;
};

}  // namespace baton::orders

#endif  // BATON_SERVICES_ORDERS_ORDERS_SERVICE_H_
