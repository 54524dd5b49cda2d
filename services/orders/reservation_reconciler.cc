#include "services/orders/reservation_reconciler.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/runtime/service_main.h"

namespace baton::orders {

ReservationReconciler::ReservationReconciler(PendingReservations* pending, Settle settle,
                                             Options options)
    : pending_(pending), settle_(std::move(settle)), options_(options) {
  thread_ = std::thread([this] { Loop(); });
}

ReservationReconciler::~ReservationReconciler() {
  stop_.Notify();
  running_.cancel.Cancel();
  thread_.join();
}

int ReservationReconciler::RunOnce(absl::Time now) {
  auto [ctx, cancel] = WithTimeout(running_.context, options_.settle_budget);
  absl::StatusOr<std::vector<PendingReservations::Entry>> due =
      pending_->Due(ctx, now - options_.release_window, options_.batch);
  if (!due.ok()) {
    runtime::LogEvent("orders", "reconcile_failed", {{"error", due.status().ToString()}});
    return 0;
  }
  int settled = 0;
  absl::Status last_error;
  for (const PendingReservations::Entry& entry : *due) {
    if (stop_.HasBeenNotified()) break;
    auto [settle_ctx, settle_cancel] = WithTimeout(running_.context, options_.settle_budget);
    absl::Status status = settle_(settle_ctx, entry);
    if (status.ok()) {
      ++settled;
      continue;
    }
    last_error = status;
    // Behind everything due now, and due again on the next pass.
    auto [requeue_ctx, requeue_cancel] = WithTimeout(running_.context, options_.settle_budget);
    pending_->Requeue(requeue_ctx, entry.order_id, now - options_.release_window)
        .IgnoreError();  // Still due as it was: tried again all the same.
  }
  if (!due->empty()) {
    std::vector<std::pair<std::string, std::string>> fields = {
        {"due", absl::StrCat(due->size())}, {"settled", absl::StrCat(settled)}};
    if (!last_error.ok()) fields.emplace_back("last_error", last_error.ToString());
    runtime::LogEvent("orders", "reservations_reconciled", fields);
  }
  return settled;
}

void ReservationReconciler::Loop() {
  while (!stop_.WaitForNotificationWithTimeout(options_.interval)) {
    RunOnce(absl::Now());
  }
}

}  // namespace baton::orders
