#include "services/inventory/inventory_service.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/rpc/unary_method.h"
#include "services/shared/fields.h"
#include "services/shared/line_items.h"

namespace baton::inventory {
namespace {

using storage::Connection;
using storage::Row;
using storage::Value;
using v1::Reservation;

Reservation::State ParseState(const std::string& name) {
  if (name == "reserved") return Reservation::RESERVED;
  if (name == "committed") return Reservation::COMMITTED;
  if (name == "released") return Reservation::RELEASED;
  return Reservation::STATE_UNSPECIFIED;
}

// Reads a reservation (state and items) in `tx`; nullopt when there is none.
absl::StatusOr<std::optional<Reservation>> Load(const Context& ctx, Connection& tx,
                                                const std::string& order_id) {
  absl::StatusOr<std::vector<Row>> state =
      tx.Query(ctx, "SELECT state FROM reservations WHERE order_id = ?1", {Value(order_id)});
  if (!state.ok()) return state.status();
  if (state->empty()) return std::nullopt;
  Reservation reservation;
  reservation.set_order_id(order_id);
  reservation.set_state(ParseState(shop::TextColumn(state->front()[0])));
  absl::StatusOr<std::vector<Row>> items =
      tx.Query(ctx, "SELECT sku, quantity FROM reservation_items WHERE order_id = ?1 ORDER BY sku",
               {Value(order_id)});
  if (!items.ok()) return items.status();
  for (const Row& row : *items) {
    v1::LineItem* item = reservation.add_items();
    item->set_sku(shop::TextColumn(row[0]));
    item->set_quantity(shop::IntColumn(row[1]));
  }
  return reservation;
}

bool SameItems(const Reservation& existing, const v1::ReserveRequest& request) {
  if (existing.items_size() != request.items_size()) return false;
  for (const v1::LineItem& wanted : request.items()) {
    bool found = false;
    for (const v1::LineItem& have : existing.items()) {
      found = found || (have.sku() == wanted.sku() && have.quantity() == wanted.quantity());
    }
    if (!found) return false;
  }
  return true;
}

// What an existing reservation means for a repeated Reserve.
absl::Status Repeat(const Reservation& existing, const v1::ReserveRequest& request,
                    Reservation& out) {
  if (existing.state() == Reservation::RELEASED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the reservation for order \"", request.order_id(), "\" was already released"));
  }
  if (!SameItems(existing, request)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "order \"", request.order_id(), "\" already has a reservation of other items"));
  }
  out = existing;
  return absl::OkStatus();
}

// Takes `item` out of stock in `tx`, or says why it cannot.
absl::Status Take(const Context& ctx, Connection& tx, const v1::LineItem& item) {
  absl::StatusOr<int64_t> taken =
      tx.Execute(ctx,
                 "UPDATE stock SET available = available - ?1, reserved = reserved + ?1 "
                 "WHERE sku = ?2 AND available >= ?1",
                 {Value(int64_t{item.quantity()}), Value(item.sku())});
  if (!taken.ok()) return taken.status();
  if (*taken == 1) return absl::OkStatus();
  absl::StatusOr<std::vector<Row>> rows =
      tx.Query(ctx, "SELECT available FROM stock WHERE sku = ?1", {Value(item.sku())});
  if (!rows.ok()) return rows.status();
  const int64_t available = rows->empty() ? 0 : shop::IntColumn(rows->front()[0]);
  return absl::FailedPreconditionError(
      absl::StrFormat("not enough stock for \"%s\": %d requested, %d available", item.sku(),
                      item.quantity(), available));
}

}  // namespace

std::vector<storage::Migration> Schema() {
  return {
      {1,
       "stock and reservations",
       {"CREATE TABLE stock (sku TEXT PRIMARY KEY, "
        "available BIGINT NOT NULL CHECK (available >= 0))",
        "CREATE TABLE reservations (order_id TEXT PRIMARY KEY, state TEXT NOT NULL)",
        "CREATE TABLE reservation_items (order_id TEXT NOT NULL REFERENCES "
        "reservations (order_id), sku TEXT NOT NULL, quantity BIGINT NOT NULL, "
        "PRIMARY KEY (order_id, sku))",
        "CREATE INDEX reservation_items_by_sku ON reservation_items (sku)"}},
      // GetStock read `reserved` as a sum over every reservation of the SKU, a cost that
      // grew with each order; the stock row now keeps it.
      {2,
       "reserved units kept on the stock row",
       {"ALTER TABLE stock ADD COLUMN reserved BIGINT NOT NULL DEFAULT 0",
        "UPDATE stock SET reserved = (SELECT COALESCE(SUM(i.quantity), 0) FROM "
        "reservation_items i JOIN reservations r ON r.order_id = i.order_id "
        "WHERE i.sku = stock.sku AND r.state = 'reserved')"}},
      // So that a stock's units can be accounted for: available + reserved + committed
      // is every unit ever stocked.
      {3,
       "committed units kept on the stock row",
       {"ALTER TABLE stock ADD COLUMN committed BIGINT NOT NULL DEFAULT 0",
        "UPDATE stock SET committed = (SELECT COALESCE(SUM(i.quantity), 0) FROM "
        "reservation_items i JOIN reservations r ON r.order_id = i.order_id "
        "WHERE i.sku = stock.sku AND r.state = 'committed')"}},
  };
}

absl::StatusOr<std::vector<v1::Stock>> InventoryService::ReadStock(
    const Context& ctx, const std::vector<std::string>& skus) {
  std::vector<Value> params;
  std::string placeholders;
  for (size_t i = 0; i < skus.size(); ++i) {
    params.emplace_back(skus[i]);
    absl::StrAppend(&placeholders, i == 0 ? "" : ", ", "?", i + 1);
  }
  absl::StatusOr<std::vector<Row>> rows = database_->Query(
      ctx,
      absl::StrCat("SELECT sku, available, reserved, committed FROM stock WHERE sku IN (",
                   placeholders, ")"),
      params);
  if (!rows.ok()) return rows.status();
  std::vector<v1::Stock> stocks(skus.size());
  for (size_t i = 0; i < skus.size(); ++i) {
    // A SKU never stocked has none: zero everywhere.
    stocks[i].set_sku(skus[i]);
    for (const Row& row : *rows) {
      if (shop::TextColumn(row[0]) != skus[i]) continue;
      stocks[i].set_available(shop::IntColumn(row[1]));
      stocks[i].set_reserved(shop::IntColumn(row[2]));
      stocks[i].set_committed(shop::IntColumn(row[3]));
    }
  }
  return stocks;
}

absl::Status InventoryService::GetStock(const Context& ctx, const v1::GetStockRequest& request,
                                        v1::Stock& stock) {
  if (absl::Status s = shop::CheckSku("sku", request.sku()); !s.ok()) return s;
  absl::StatusOr<std::vector<v1::Stock>> read = ReadStock(ctx, {request.sku()});
  if (!read.ok()) return read.status();
  stock = std::move(read->front());
  return absl::OkStatus();
}

absl::Status InventoryService::WatchStock(const Context& ctx, const v1::WatchStockRequest& request,
                                          rpc::StreamWriter<v1::Stock>& out) {
  if (request.skus().empty()) return absl::InvalidArgumentError("skus: at least one is required");
  if (request.skus_size() > shop::kMaxLineItems) {
    return absl::InvalidArgumentError(absl::StrCat("skus: at most ", shop::kMaxLineItems));
  }
  std::vector<std::string> skus;
  for (int i = 0; i < request.skus_size(); ++i) {
    const std::string field = absl::StrCat("skus[", i, "]");
    if (absl::Status s = shop::CheckSku(field, request.skus(i)); !s.ok()) return s;
    if (std::find(skus.begin(), skus.end(), request.skus(i)) != skus.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": \"", request.skus(i), "\" is listed twice"));
    }
    skus.push_back(request.skus(i));
  }
  std::vector<std::optional<v1::Stock>> sent(skus.size());
  uint64_t seen = changes_.version();
  while (true) {
    absl::StatusOr<std::vector<v1::Stock>> now = ReadStock(ctx, skus);
    if (!now.ok()) return now.status();
    for (size_t i = 0; i < skus.size(); ++i) {
      const v1::Stock& stock = (*now)[i];
      if (sent[i].has_value() && sent[i]->available() == stock.available() &&
          sent[i]->reserved() == stock.reserved() && sent[i]->committed() == stock.committed()) {
        continue;
      }
      if (absl::Status written = out.Write(stock); !written.ok()) return written;
      sent[i] = stock;
    }
    // Ends with the Context: the caller's deadline or cancellation.
    if (absl::Status changed = changes_.Await(ctx, seen); !changed.ok()) return changed;
  }
}

absl::Status InventoryService::Reserve(const Context& ctx, const v1::ReserveRequest& request,
                                       Reservation& reservation) {
  if (absl::Status s = shop::CheckId("order_id", request.order_id()); !s.ok()) return s;
  if (absl::Status s = shop::CheckLineItems(request.items()); !s.ok()) return s;
  absl::Status status = database_->Transaction(ctx, [&](Connection& tx) -> absl::Status {
    absl::StatusOr<std::optional<Reservation>> existing = Load(ctx, tx, request.order_id());
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return Repeat(**existing, request, reservation);
    absl::StatusOr<int64_t> inserted =
        tx.Execute(ctx, "INSERT INTO reservations (order_id, state) VALUES (?1, 'reserved')",
                   {Value(request.order_id())});
    if (!inserted.ok()) return inserted.status();
    reservation.Clear();
    reservation.set_order_id(request.order_id());
    reservation.set_state(Reservation::RESERVED);
    for (const v1::LineItem& item : request.items()) {
      if (absl::Status taken = Take(ctx, tx, item); !taken.ok()) return taken;
      absl::StatusOr<int64_t> recorded = tx.Execute(
          ctx, "INSERT INTO reservation_items (order_id, sku, quantity) VALUES (?1, ?2, ?3)",
          {Value(request.order_id()), Value(item.sku()), Value(int64_t{item.quantity()})});
      if (!recorded.ok()) return recorded.status();
      *reservation.add_items() = item;
    }
    return absl::OkStatus();
  });
  if (status.code() != absl::StatusCode::kAlreadyExists) return Published(status);
  // The same order_id reserved concurrently and won: this call is a repeat of it.
  return database_->Transaction(ctx, [&](Connection& tx) -> absl::Status {
    absl::StatusOr<std::optional<Reservation>> existing = Load(ctx, tx, request.order_id());
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) return status;
    return Repeat(**existing, request, reservation);
  });
}

absl::Status InventoryService::Release(const Context& ctx, const v1::ReleaseRequest& request,
                                       Reservation& reservation) {
  if (absl::Status s = shop::CheckId("order_id", request.order_id()); !s.ok()) return s;
  return Published(database_->Transaction(ctx, [&](Connection& tx) -> absl::Status {
    absl::StatusOr<std::optional<Reservation>> existing = Load(ctx, tx, request.order_id());
    if (!existing.ok()) return existing.status();
    reservation.Clear();
    reservation.set_order_id(request.order_id());
    reservation.set_state(Reservation::RELEASED);
    if (!existing->has_value()) {
      // Remember the release, so a reservation still on its way cannot take stock for
      // an order that was given up.
      return tx
          .Execute(ctx, "INSERT INTO reservations (order_id, state) VALUES (?1, 'released')",
                   {Value(request.order_id())})
          .status();
    }
    const Reservation& found = **existing;
    if (found.state() == Reservation::COMMITTED) {
      return absl::FailedPreconditionError(
          absl::StrCat("the reservation for order \"", request.order_id(), "\" is committed"));
    }
    *reservation.mutable_items() = found.items();
    if (found.state() == Reservation::RELEASED) return absl::OkStatus();
    for (const v1::LineItem& item : found.items()) {
      absl::StatusOr<int64_t> restored =
          tx.Execute(ctx,
                     "UPDATE stock SET available = available + ?1, reserved = reserved - ?1 "
                     "WHERE sku = ?2",
                     {Value(int64_t{item.quantity()}), Value(item.sku())});
      if (!restored.ok()) return restored.status();
    }
    return tx
        .Execute(ctx, "UPDATE reservations SET state = 'released' WHERE order_id = ?1",
                 {Value(request.order_id())})
        .status();
  }));
}

absl::Status InventoryService::Commit(const Context& ctx, const v1::CommitRequest& request,
                                      Reservation& reservation) {
  if (absl::Status s = shop::CheckId("order_id", request.order_id()); !s.ok()) return s;
  return Published(database_->Transaction(ctx, [&](Connection& tx) -> absl::Status {
    absl::StatusOr<std::optional<Reservation>> existing = Load(ctx, tx, request.order_id());
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) {
      return absl::NotFoundError(
          absl::StrCat("order \"", request.order_id(), "\" has no reservation"));
    }
    reservation = **existing;
    if (reservation.state() == Reservation::RELEASED) {
      return absl::FailedPreconditionError(
          absl::StrCat("the reservation for order \"", request.order_id(), "\" was released"));
    }
    if (reservation.state() == Reservation::COMMITTED) return absl::OkStatus();
    reservation.set_state(Reservation::COMMITTED);
    for (const v1::LineItem& item : reservation.items()) {
      absl::StatusOr<int64_t> settled =
          tx.Execute(ctx, "UPDATE stock SET reserved = reserved - ?1, committed = committed + ?1 "
                     "WHERE sku = ?2",
                     {Value(int64_t{item.quantity()}), Value(item.sku())});
      if (!settled.ok()) return settled.status();
    }
    return tx
        .Execute(ctx, "UPDATE reservations SET state = 'committed' WHERE order_id = ?1",
                 {Value(request.order_id())})
        .status();
  }));
}

absl::Status InventoryService::SetStock(const Context& ctx, const v1::SetStockRequest& request,
                                        v1::Stock& stock) {
  if (absl::Status s = shop::CheckSku("sku", request.sku()); !s.ok()) return s;
  if (absl::Status s = shop::CheckRange("available", request.available(), 0, int64_t{1} << 40);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<int64_t> changed =
      database_->Execute(ctx,
                         "INSERT INTO stock (sku, available) VALUES (?1, ?2) "
                         "ON CONFLICT (sku) DO UPDATE SET available = excluded.available",
                         {Value(request.sku()), Value(int64_t{request.available()})});
  if (!changed.ok()) return changed.status();
  changes_.Publish();
  return GetStock(
      ctx,
      [&] {
        v1::GetStockRequest get;
        get.set_sku(request.sku());
        return get;
      }(),
      stock);
}

InventoryService::InventoryService(rpc::ServerAdapter* adapter, storage::Database* database)
    : adapter_(adapter), database_(database) {
  BATON_SERVE_UNARY(v1::InventoryService, GetStock, v1::GetStockRequest, v1::Stock);
  BATON_SERVE_UNARY(v1::InventoryService, Reserve, v1::ReserveRequest, v1::Reservation);
  BATON_SERVE_UNARY(v1::InventoryService, Release, v1::ReleaseRequest, v1::Reservation);
  BATON_SERVE_UNARY(v1::InventoryService, Commit, v1::CommitRequest, v1::Reservation);
  BATON_SERVE_UNARY(v1::InventoryService, SetStock, v1::SetStockRequest, v1::Stock);
}

BATON_SERVER_STREAM_METHOD(InventoryService, WatchStock, v1::WatchStockRequest, v1::Stock)

}  // namespace baton::inventory
