#include "services/orders/pending_reservations.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/shared/fields.h"

namespace baton::orders {
namespace {

using storage::Row;
using storage::Value;

constexpr std::string_view kReserving = "reserving";
constexpr std::string_view kPlaced = "placed";
constexpr std::string_view kReleasing = "releasing";

PendingReservations::State ParseState(const std::string& name) {
  if (name == kPlaced) return PendingReservations::State::kPlaced;
  if (name == kReleasing) return PendingReservations::State::kReleasing;
  return PendingReservations::State::kReserving;
}

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

}  // namespace

storage::Migration PendingReservations::Migration(int version) {
  return {version,
          "reservations not yet settled in inventory",
          {"CREATE TABLE pending_reservations (order_id TEXT PRIMARY KEY, state TEXT NOT NULL, "
           "changed_us BIGINT NOT NULL)",
           "CREATE INDEX pending_reservations_by_age ON pending_reservations (changed_us)"}};
}

absl::Status PendingReservations::Begin(const Context& ctx, const std::string& order_id) {
  return database_
      ->Execute(ctx,
                "INSERT INTO pending_reservations (order_id, state, changed_us) "
                "VALUES (?1, ?2, ?3)",
                {Value(order_id), Value(std::string(kReserving)), Value(NowMicros())})
      .status();
}

absl::Status PendingReservations::MarkPlaced(const Context& ctx, storage::Connection& tx,
                                             const std::string& order_id) {
  absl::StatusOr<int64_t> changed = tx.Execute(
      ctx,
      "UPDATE pending_reservations SET state = ?1, changed_us = ?2 "
      "WHERE order_id = ?3 AND state = ?4",
      {Value(std::string(kPlaced)), Value(NowMicros()), Value(order_id),
       Value(std::string(kReserving))});
  if (!changed.ok()) return changed.status();
  if (*changed == 1) return absl::OkStatus();
  return absl::AbortedError(absl::StrCat("order \"", order_id,
                                         "\" was given up before it could be stored: its "
                                         "reservation passed the release window"));
}

absl::StatusOr<PendingReservations::State> PendingReservations::GiveUp(
    const Context& ctx, const std::string& order_id) {
  std::optional<State> state;
  absl::Status status = database_->Transaction(ctx, [&](storage::Connection& tx) -> absl::Status {
    absl::StatusOr<int64_t> changed =
        tx.Execute(ctx,
                   "UPDATE pending_reservations SET state = ?1, changed_us = ?2 "
                   "WHERE order_id = ?3 AND state = ?4",
                   {Value(std::string(kReleasing)), Value(NowMicros()), Value(order_id),
                    Value(std::string(kReserving))});
    if (!changed.ok()) return changed.status();
    if (*changed == 1) {
      state = State::kReleasing;
      return absl::OkStatus();
    }
    absl::StatusOr<std::vector<Row>> rows = tx.Query(
        ctx, "SELECT state FROM pending_reservations WHERE order_id = ?1", {Value(order_id)});
    if (!rows.ok()) return rows.status();
    if (rows->empty()) {
      return absl::NotFoundError(absl::StrCat("order \"", order_id, "\" has nothing pending"));
    }
    state = ParseState(shop::TextColumn(rows->front()[0]));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return *state;
}

absl::Status PendingReservations::Forget(const Context& ctx, const std::string& order_id) {
  return database_
      ->Execute(ctx, "DELETE FROM pending_reservations WHERE order_id = ?1", {Value(order_id)})
      .status();
}

absl::Status PendingReservations::Requeue(const Context& ctx, const std::string& order_id,
                                          absl::Time as_of) {
  return database_
      ->Execute(ctx, "UPDATE pending_reservations SET changed_us = ?1 WHERE order_id = ?2",
                {Value(absl::ToUnixMicros(as_of)), Value(order_id)})
      .status();
}

absl::StatusOr<std::vector<PendingReservations::Entry>> PendingReservations::Due(
    const Context& ctx, absl::Time before, int limit) {
  absl::StatusOr<std::vector<Row>> rows =
      database_->Query(ctx,
                       "SELECT order_id, state FROM pending_reservations WHERE changed_us < ?1 "
                       "ORDER BY changed_us LIMIT ?2",
                       {Value(absl::ToUnixMicros(before)), Value(int64_t{limit})});
  if (!rows.ok()) return rows.status();
  std::vector<Entry> due;
  due.reserve(rows->size());
  for (const Row& row : *rows) {
    due.push_back({shop::TextColumn(row[0]), ParseState(shop::TextColumn(row[1]))});
  }
  return due;
}

}  // namespace baton::orders
