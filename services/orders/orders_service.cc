#include "services/orders/orders_service.h"

#include <limits>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/rpc/client_call.h"
#include "common/rpc/fan_out.h"
#include "common/rpc/request_metadata.h"
#include "common/rpc/unary_method.h"
#include "services/shared/fields.h"
#include "services/shared/line_items.h"

namespace baton::orders {
namespace {

using storage::Connection;
using storage::Row;
using storage::Value;

constexpr char kOrderColumns[] = "order_id, customer, total_cents, create_time_us, request_id";

std::string NewOrderId() {
  absl::BitGen random;
  return absl::StrFormat("ord_%016x%016x", absl::Uniform<uint64_t>(random),
                         absl::Uniform<uint64_t>(random));
}

int64_t ToMicros(const google::protobuf::Timestamp& time) {
  return time.seconds() * 1000000 + time.nanos() / 1000;
}

void SetMicros(int64_t micros, google::protobuf::Timestamp& time) {
  time.set_seconds(micros / 1000000);
  time.set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
}

void ToOrder(const Row& row, v1::Order& order) {
  order.set_order_id(shop::TextColumn(row[0]));
  order.set_customer(shop::TextColumn(row[1]));
  order.set_total_cents(shop::IntColumn(row[2]));
  SetMicros(shop::IntColumn(row[3]), *order.mutable_create_time());
  order.set_request_id(shop::TextColumn(row[4]));
}

// Whether a failed Reserve may still have taken stock: only inventory's own refusals
// are known not to have. RESOURCE_EXHAUSTED is not one: besides a full queue before the
// handler, it is what a reply over the size limit gets after the stock was taken (the
// release that follows is then needed, and is harmless otherwise).
bool MayHaveReserved(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
      return false;
    default:
      return true;
  }
}

// Whose orders these are: the gateway's authenticated identity ("" when called
// directly inside the mesh).
std::string OwnerOf(const Context& ctx) {
  const rpc::RequestMetadata* metadata = rpc::MetadataOf(ctx);
  return metadata != nullptr ? metadata->identity : "";
}

}  // namespace

std::vector<storage::Migration> Schema() {
  return {
      {1,
       "orders",
       {"CREATE TABLE orders (order_id TEXT PRIMARY KEY, idempotency_key TEXT NOT NULL "
        "UNIQUE, owner TEXT NOT NULL, customer TEXT NOT NULL, request_id TEXT NOT NULL, "
        "total_cents BIGINT NOT NULL, create_time_us BIGINT NOT NULL)",
        "CREATE TABLE order_lines (order_id TEXT NOT NULL REFERENCES orders (order_id), "
        "line_no BIGINT NOT NULL, sku TEXT NOT NULL, quantity BIGINT NOT NULL, "
        "unit_price_cents BIGINT NOT NULL, PRIMARY KEY (order_id, line_no))",
        "CREATE INDEX orders_by_owner ON orders (owner, customer, create_time_us)"}},
      PendingReservations::Migration(2),
  };
}

OrdersService::OrdersService(rpc::ServerAdapter* adapter, storage::Database* database,
                             runtime::BackgroundWork* background,
                             std::unique_ptr<catalog::v1::CatalogService::Stub> catalog,
                             std::unique_ptr<inventory::v1::InventoryService::Stub> inventory,
                             Options options)
    : adapter_(adapter),
      database_(database),
      background_(background),
      catalog_(std::move(catalog)),
      inventory_(std::move(inventory)),
      options_(options),
      pending_(database),
      reconciler_(std::make_unique<ReservationReconciler>(
          &pending_,
          [this](const Context& ctx, const PendingReservations::Entry& entry) {
            return Settle(ctx, entry);
          },
          ReservationReconciler::Options{.release_window = options.release_window,
                                         .interval = options.reconcile_interval,
                                         .settle_budget = options.cleanup_timeout})) {
  BATON_SERVE_UNARY(v1::OrdersService, PlaceOrder, v1::PlaceOrderRequest, v1::Order);
  BATON_SERVE_UNARY(v1::OrdersService, GetOrder, v1::GetOrderRequest, v1::Order);
  BATON_SERVE_UNARY(v1::OrdersService, ListOrders, v1::ListOrdersRequest, v1::ListOrdersResponse);
}

absl::Status OrdersService::PlaceOrder(const Context& ctx, const v1::PlaceOrderRequest& request,
                                       v1::Order& order) {
  if (absl::Status s = shop::CheckText("customer", request.customer(), 1, 128); !s.ok()) {
    return s;
  }
  if (absl::Status s = shop::CheckLineItems(request.items()); !s.ok()) return s;
  const rpc::RequestMetadata* metadata = rpc::MetadataOf(ctx);
  const std::string owner = OwnerOf(ctx);
  const std::string request_id = metadata != nullptr ? metadata->request_id : NewOrderId();
  // Identities and request ids are printable; a newline cannot be part of either.
  const std::string key = absl::StrCat(owner, "\n", request_id);

  absl::StatusOr<std::optional<v1::Order>> placed =
      LoadWhere(ctx, "idempotency_key = ?1", {Value(key)});
  if (!placed.ok()) return placed.status();
  if (placed->has_value()) {
    order = **placed;
    return absl::OkStatus();
  }

  order.Clear();
  order.set_customer(request.customer());
  order.set_request_id(request_id);
  if (absl::Status looked_up = LookUpProducts(ctx, request, order); !looked_up.ok()) {
    return looked_up;
  }

  order.set_order_id(NewOrderId());
  // Recorded first, so that a reservation this process cannot see through (it dies, or
  // inventory does) is still settled by the reconciler.
  if (absl::Status begun = pending_.Begin(ctx, order.order_id()); !begun.ok()) return begun;
  if (absl::Status reserved = Reserve(ctx, request, order.order_id()); !reserved.ok()) {
    if (MayHaveReserved(reserved)) {
      Abandon(ctx, order.order_id());
    } else {
      Forget(ctx, order.order_id());
    }
    return reserved;
  }

  SetMicros(absl::ToUnixMicros(absl::Now()), *order.mutable_create_time());
  absl::Status stored = Store(ctx, key, owner, order);
  if (stored.code() == absl::StatusCode::kAlreadyExists) {
    // A concurrent attempt with the same key stored its order first: that one is the
    // order, and this attempt's reservation goes back.
    Abandon(ctx, order.order_id());
    placed = LoadWhere(ctx, "idempotency_key = ?1", {Value(key)});
    if (!placed.ok()) return placed.status();
    if (!placed->has_value()) return stored;
    order = **placed;
    return absl::OkStatus();
  }
  if (!stored.ok()) {
    Abandon(ctx, order.order_id());
    return stored;
  }
  CommitReservation(ctx, order.order_id());
  return absl::OkStatus();
}

absl::Status OrdersService::LookUpProducts(const Context& ctx, const v1::PlaceOrderRequest& request,
                                           v1::Order& order) {
  const int n = request.items_size();
  std::vector<catalog::v1::GetProductRequest> lookups(n);
  std::vector<catalog::v1::Product> products(n);
  std::vector<rpc::FanOutCall> calls;
  calls.reserve(n);
  for (int i = 0; i < n; ++i) {
    lookups[i].set_sku(request.items(i).sku());
    calls.push_back({{.target = "catalog.GetProduct"},
                     [this, &lookups, &products, i](grpc::ClientContext* call, rpc::Done done) {
                       catalog_->async()->GetProduct(call, &lookups[i], &products[i],
                                                     std::move(done));
                     }});
  }
  if (absl::Status found = rpc::FanOut(ctx, std::move(calls)); !found.ok()) return found;
  int64_t total = 0;
  for (int i = 0; i < n; ++i) {
    v1::OrderLine* line = order.add_lines();
    line->set_sku(request.items(i).sku());
    line->set_quantity(request.items(i).quantity());
    line->set_unit_price_cents(products[i].price_cents());
    total += line->quantity() * line->unit_price_cents();
  }
  order.set_total_cents(total);
  return absl::OkStatus();
}

absl::Status OrdersService::Reserve(const Context& ctx, const v1::PlaceOrderRequest& request,
                                    const std::string& order_id) {
  inventory::v1::ReserveRequest reserve;
  reserve.set_order_id(order_id);
  *reserve.mutable_items() = request.items();
  inventory::v1::Reservation reservation;
  return rpc::Call(ctx, {.target = "inventory.Reserve"},
                   [&](grpc::ClientContext* call, rpc::Done done) {
                     inventory_->async()->Reserve(call, &reserve, &reservation, std::move(done));
                   });
}

absl::Status OrdersService::Store(const Context& ctx, const std::string& key,
                                  const std::string& owner, const v1::Order& order) {
  const int64_t micros = ToMicros(order.create_time());
  return database_->Transaction(ctx, [&](Connection& tx) -> absl::Status {
    if (absl::Status placed = pending_.MarkPlaced(ctx, tx, order.order_id()); !placed.ok()) {
      return placed;
    }
    absl::StatusOr<int64_t> inserted =
        tx.Execute(ctx,
                   "INSERT INTO orders (order_id, idempotency_key, owner, customer, request_id, "
                   "total_cents, create_time_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                   {Value(order.order_id()), Value(key), Value(owner), Value(order.customer()),
                    Value(order.request_id()), Value(int64_t{order.total_cents()}), Value(micros)});
    if (!inserted.ok()) return inserted.status();
    for (int i = 0; i < order.lines_size(); ++i) {
      const v1::OrderLine& line = order.lines(i);
      absl::StatusOr<int64_t> added =
          tx.Execute(ctx,
                     "INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price_cents) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)",
                     {Value(order.order_id()), Value(int64_t{i}), Value(line.sku()),
                      Value(int64_t{line.quantity()}), Value(int64_t{line.unit_price_cents()})});
      if (!added.ok()) return added.status();
    }
    return absl::OkStatus();
  });
}

void OrdersService::Abandon(const Context& ctx, const std::string& order_id) {
  background_->Run([this, request = WithoutCancel(ctx), order_id] {
    auto [cleanup, cancel] = WithTimeout(request, options_.cleanup_timeout);
    // If inventory cannot be reached, the reservation stays pending (stock held, never
    // oversold) and the reconciler releases it later.
    (void)Settle(cleanup, {order_id, PendingReservations::State::kReserving});
  });
}

void OrdersService::Forget(const Context& ctx, const std::string& order_id) {
  background_->Run([this, request = WithoutCancel(ctx), order_id] {
    auto [cleanup, cancel] = WithTimeout(request, options_.cleanup_timeout);
    // Left behind, the entry costs the reconciler one idempotent call later.
    (void)pending_.Forget(cleanup, order_id);
  });
}

void OrdersService::CommitReservation(const Context& ctx, const std::string& order_id) {
  // The order is stored: committing its reservation is owed whatever the caller does.
  auto [commit_ctx, cancel] = WithTimeout(WithoutCancel(ctx), options_.cleanup_timeout);
  // A reservation not committed now still holds its stock (nothing is oversold), and
  // the reconciler commits it later.
  if (SettleInInventory(commit_ctx, order_id, PendingReservations::State::kPlaced).ok()) {
    Forget(ctx, order_id);
  }
}

absl::Status OrdersService::Settle(const Context& ctx, const PendingReservations::Entry& entry) {
  PendingReservations::State state = entry.state;
  if (state == PendingReservations::State::kReserving) {
    absl::StatusOr<PendingReservations::State> given_up = pending_.GiveUp(ctx, entry.order_id);
    if (absl::IsNotFound(given_up.status())) return absl::OkStatus();
    if (!given_up.ok()) return given_up.status();
    state = *given_up;
  }
  absl::Status settled = SettleInInventory(ctx, entry.order_id, state);
  // NOT_FOUND / FAILED_PRECONDITION: inventory has settled it otherwise already (or
  // never reserved it); asking again would change nothing.
  if (!settled.ok() && !absl::IsNotFound(settled) && !absl::IsFailedPrecondition(settled)) {
    return settled;
  }
  if (absl::Status forgotten = pending_.Forget(ctx, entry.order_id); !forgotten.ok()) {
    return forgotten;
  }
  return settled;
}

absl::Status OrdersService::SettleInInventory(const Context& ctx, const std::string& order_id,
                                              PendingReservations::State state) {
  inventory::v1::Reservation reservation;
  if (state == PendingReservations::State::kPlaced) {
    inventory::v1::CommitRequest commit;
    commit.set_order_id(order_id);
    return rpc::Call(ctx, {.target = "inventory.Commit"},
                     [&](grpc::ClientContext* call, rpc::Done done) {
                       inventory_->async()->Commit(call, &commit, &reservation, std::move(done));
                     });
  }
  inventory::v1::ReleaseRequest release;
  release.set_order_id(order_id);
  return rpc::Call(ctx, {.target = "inventory.Release"},
                   [&](grpc::ClientContext* call, rpc::Done done) {
                     inventory_->async()->Release(call, &release, &reservation, std::move(done));
                   });
}

absl::StatusOr<std::optional<v1::Order>> OrdersService::LoadWhere(
    const Context& ctx, std::string_view condition, const std::vector<Value>& params) {
  absl::StatusOr<std::vector<Row>> rows = database_->Query(
      ctx, absl::StrCat("SELECT ", kOrderColumns, " FROM orders WHERE ", std::string(condition)),
      params);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::nullopt;
  v1::Order order;
  ToOrder(rows->front(), order);
  if (absl::Status lines = LoadLines(ctx, order); !lines.ok()) return lines;
  return order;
}

absl::Status OrdersService::LoadLines(const Context& ctx, v1::Order& order) {
  absl::StatusOr<std::vector<Row>> lines = database_->Query(
      ctx,
      "SELECT sku, quantity, unit_price_cents FROM order_lines WHERE order_id = ?1 "
      "ORDER BY line_no",
      {Value(order.order_id())});
  if (!lines.ok()) return lines.status();
  for (const Row& row : *lines) {
    v1::OrderLine* line = order.add_lines();
    line->set_sku(shop::TextColumn(row[0]));
    line->set_quantity(shop::IntColumn(row[1]));
    line->set_unit_price_cents(shop::IntColumn(row[2]));
  }
  return absl::OkStatus();
}

absl::Status OrdersService::GetOrder(const Context& ctx, const v1::GetOrderRequest& request,
                                     v1::Order& order) {
  if (absl::Status s = shop::CheckId("order_id", request.order_id()); !s.ok()) return s;
  absl::StatusOr<std::optional<v1::Order>> found = LoadWhere(
      ctx, "order_id = ?1 AND owner = ?2", {Value(request.order_id()), Value(OwnerOf(ctx))});
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return absl::NotFoundError(absl::StrCat("order \"", request.order_id(), "\" not found"));
  }
  order = **found;
  return absl::OkStatus();
}

absl::Status OrdersService::ListOrders(const Context& ctx, const v1::ListOrdersRequest& request,
                                       v1::ListOrdersResponse& response) {
  if (absl::Status s = shop::CheckText("customer", request.customer(), 0, 128); !s.ok()) {
    return s;
  }
  absl::StatusOr<int> page_size = shop::PageSize(request.page_size(), 20, 100);
  if (!page_size.ok()) return page_size.status();
  absl::StatusOr<std::string> position = shop::DecodePageToken(request.page_token());
  if (!position.ok()) return position.status();
  // Newest first; the position is the last order shown: "<create_time_us>/<order_id>".
  int64_t before_us = std::numeric_limits<int64_t>::max();
  std::string before_id;
  if (!position->empty()) {
    std::vector<std::string> parts = absl::StrSplit(*position, absl::MaxSplits('/', 1));
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &before_us)) {
      return absl::InvalidArgumentError("page_token: is not a token this service issued");
    }
    before_id = parts[1];
  }
  absl::StatusOr<std::vector<Row>> rows = database_->Query(
      ctx,
      absl::StrCat("SELECT ", kOrderColumns,
                   " FROM orders WHERE owner = ?1 AND (?2 = '' OR customer = ?2) AND "
                   "(create_time_us < ?3 OR (create_time_us = ?3 AND order_id < ?4)) "
                   "ORDER BY create_time_us DESC, order_id DESC LIMIT ?5"),
      {Value(OwnerOf(ctx)), Value(request.customer()), Value(before_us), Value(before_id),
       Value(int64_t{*page_size + 1})});
  if (!rows.ok()) return rows.status();
  const size_t shown = std::min(rows->size(), static_cast<size_t>(*page_size));
  for (size_t i = 0; i < shown; ++i) {
    v1::Order* order = response.add_orders();
    ToOrder((*rows)[i], *order);
    if (absl::Status lines = LoadLines(ctx, *order); !lines.ok()) return lines;
  }
  if (rows->size() > shown) {
    const v1::Order& last = *response.orders().rbegin();
    response.set_next_page_token(
        shop::EncodePageToken(absl::StrCat(ToMicros(last.create_time()), "/", last.order_id())));
  }
  return absl::OkStatus();
}

}  // namespace baton::orders
