// ReservationReconciler: settles the reservations nobody else will — those whose
// request was cut off by a crash, or whose Commit or Release could not reach inventory
// — once they are older than the release window.
//
// Every `interval` it takes the pending reservations (pending_reservations.h) last
// changed more than `release_window` ago, oldest first, and hands each to `settle`
// (commit it if the order was stored, release it otherwise). A failed settlement stays
// pending, goes behind the entries already due (so that entries which keep failing
// never hold back the others) and is tried again on the next pass: a reservation is
// settled within one interval of inventory being reachable again, as long as no more
// than `batch` entries are due per pass.
//
// The window must be longer than any PlaceOrder can take: a RESERVING entry that
// reaches it is given up, and the request still working on it will fail to store its
// order (ABORTED) rather than store an order whose stock was released.
//
// Thread safety: owns one thread; the destructor stops it, cancelling the Context of a
// pass in progress.
#ifndef BATON_SERVICES_ORDERS_RESERVATION_RECONCILER_H_
#define BATON_SERVICES_ORDERS_RESERVATION_RECONCILER_H_

#include <functional>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/context/context.h"
#include "services/orders/pending_reservations.h"

namespace baton::orders {

class ReservationReconciler {
 public:
  struct Options {
    absl::Duration release_window = absl::Seconds(30);
    absl::Duration interval = absl::Seconds(5);
    // The Context budget of one settlement.
    absl::Duration settle_budget = absl::Seconds(2);
    // Entries settled per pass at most (the rest wait for the next).
    int batch = 100;
  };
  using Settle =
      std::function<absl::Status(const Context& ctx, const PendingReservations::Entry& entry)>;

  // `pending` must outlive this. The thread starts at once.
  ReservationReconciler(PendingReservations* pending, Settle settle, Options options);
  ~ReservationReconciler();
  ReservationReconciler(const ReservationReconciler&) = delete;
  ReservationReconciler& operator=(const ReservationReconciler&) = delete;

  // One pass over what is due at `now`; returns how many entries were settled.
  int RunOnce(absl::Time now);

 private:
  void Loop();

  PendingReservations* const pending_;
  const Settle settle_;
  const Options options_;
  // Cancelled by the destructor: a settlement in progress stops at once.
  DerivedContext<CancelHandle> running_ = WithCancel(Background());
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace baton::orders

#endif  // BATON_SERVICES_ORDERS_RESERVATION_RECONCILER_H_
