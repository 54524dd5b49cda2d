// PendingReservations: the orders database's record of every reservation in inventory
// that is not yet settled (committed or released), so that none is left holding stock
// when a process dies or a peer is down at the moment it should be settled.
//
// A pending reservation moves through
//   RESERVING  — written before Reserve is sent; the order is not stored (yet);
//   PLACED     — the order is stored (in the same transaction); Commit is owed;
//   RELEASING  — the order was given up; Release is owed;
// and its row is deleted once inventory has confirmed the Commit or the Release.
//
// RESERVING → PLACED and RESERVING → RELEASING are the two ends of one race (an order
// being stored while its cleanup gives it up); both are conditional updates in the
// orders database, so exactly one wins: a given-up order can never be stored, and a
// stored order's stock is never released.
//
// Thread safety: every method may be called from any thread (storage serializes).
#ifndef BATON_SERVICES_ORDERS_PENDING_RESERVATIONS_H_
#define BATON_SERVICES_ORDERS_PENDING_RESERVATIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/context/context.h"
#include "common/storage/database.h"
#include "common/storage/migrations.h"

namespace baton::orders {

class PendingReservations {
 public:
  enum class State { kReserving, kPlaced, kReleasing };
  struct Entry {
    std::string order_id;
    State state = State::kReserving;
  };

  // The table's migration, for the orders schema.
  static storage::Migration Migration(int version);

  // `database` must outlive this.
  explicit PendingReservations(storage::Database* database) : database_(database) {}

  // Records a reservation about to be requested (RESERVING).
  absl::Status Begin(const Context& ctx, const std::string& order_id);
  // In the transaction that stores the order: RESERVING → PLACED. ABORTED when the order
  // was given up meanwhile (its reservation is being released).
  absl::Status MarkPlaced(const Context& ctx, storage::Connection& tx,
                          const std::string& order_id);
  // RESERVING → RELEASING. The state the entry ends in: RELEASING (release it), or
  // PLACED (the order was stored after all; it keeps its stock). NOT_FOUND when there is
  // no entry (already settled).
  absl::StatusOr<State> GiveUp(const Context& ctx, const std::string& order_id);
  // Inventory confirmed the settlement: the entry is gone.
  absl::Status Forget(const Context& ctx, const std::string& order_id);
  // A settlement failed: the entry is dated `as_of` (its state kept), so that it comes
  // due again after those that were already due — one that keeps failing does not hold
  // back the rest.
  absl::Status Requeue(const Context& ctx, const std::string& order_id, absl::Time as_of);
  // Entries last changed before `before`, oldest first, at most `limit`.
  absl::StatusOr<std::vector<Entry>> Due(const Context& ctx, absl::Time before, int limit);

 private:
  storage::Database* const database_;
};

}  // namespace baton::orders

#endif  // BATON_SERVICES_ORDERS_PENDING_RESERVATIONS_H_
