#include "services/catalog/catalog_service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/rpc/unary_method.h"
#include "services/shared/fields.h"

namespace baton::catalog {
namespace {

using storage::Row;
using storage::Value;

constexpr char kColumns[] = "sku, name, description, price_cents, category";
// Products after the SKU ?1, in category ?2 (if not empty), whose name contains ?3 (if
// not empty; ?4 is its LIKE pattern).
constexpr char kFilteredProducts[] =
    "SELECT sku, name, description, price_cents, category FROM products WHERE sku > ?1 AND "
    "(?2 = '' OR category = ?2) AND (?3 = '' OR lower(name) LIKE ?4 ESCAPE '\\')";

absl::Status CheckFilters(std::string_view category, std::string_view name_contains) {
  if (absl::Status s = shop::CheckText("category", category, 0, 64); !s.ok()) return s;
  return shop::CheckText("name_contains", name_contains, 0, 200);
}

void ToProduct(const Row& row, v1::Product& product) {
  product.set_sku(shop::TextColumn(row[0]));
  product.set_name(shop::TextColumn(row[1]));
  product.set_description(shop::TextColumn(row[2]));
  product.set_price_cents(shop::IntColumn(row[3]));
  product.set_category(shop::TextColumn(row[4]));
}

absl::Status CheckProduct(const v1::Product& product) {
  if (absl::Status s = shop::CheckSku("product.sku", product.sku()); !s.ok()) return s;
  if (absl::Status s = shop::CheckText("product.name", product.name(), 1, 200); !s.ok()) {
    return s;
  }
  if (absl::Status s = shop::CheckText("product.description", product.description(), 0, 2000);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = shop::CheckText("product.category", product.category(), 0, 64); !s.ok()) {
    return s;
  }
  return shop::CheckRange("product.price_cents", product.price_cents(), 0, int64_t{1} << 40);
}

// A LIKE pattern matching `text` anywhere, with LIKE's wildcards taken literally.
std::string ContainsPattern(std::string_view text) {
  std::string escaped =
      absl::StrReplaceAll(absl::AsciiStrToLower(absl::string_view(text.data(), text.size())),
                          {{"\\", "\\\\"}, {"%", "\\%"}, {"_", "\\_"}});
  return absl::StrCat("%", escaped, "%");
}

}  // namespace

std::vector<storage::Migration> Schema() {
  return {
      {1,
       "products",
       {"CREATE TABLE products (sku TEXT PRIMARY KEY, name TEXT NOT NULL, "
        "description TEXT NOT NULL, price_cents BIGINT NOT NULL CHECK (price_cents >= 0), "
        "category TEXT NOT NULL)",
        "CREATE INDEX products_by_category ON products (category, sku)"}},
  };
}

absl::Status CatalogService::GetProduct(const Context& ctx, const v1::GetProductRequest& request,
                                        v1::Product& product) {
  if (absl::Status s = shop::CheckSku("sku", request.sku()); !s.ok()) return s;
  absl::StatusOr<std::vector<Row>> rows =
      database_->Query(ctx, absl::StrCat("SELECT ", kColumns, " FROM products WHERE sku = ?1"),
                       {Value(request.sku())});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) {
    return absl::NotFoundError(absl::StrCat("product \"", request.sku(), "\" not found"));
  }
  ToProduct(rows->front(), product);
  return absl::OkStatus();
}

absl::Status CatalogService::ListProducts(const Context& ctx,
                                          const v1::ListProductsRequest& request,
                                          v1::ListProductsResponse& response) {
  absl::StatusOr<int> page_size = shop::PageSize(request.page_size(), 50, 500);
  if (!page_size.ok()) return page_size.status();
  absl::StatusOr<std::string> after = shop::DecodePageToken(request.page_token());
  if (!after.ok()) return after.status();
  if (absl::Status s = CheckFilters(request.category(), request.name_contains()); !s.ok()) {
    return s;
  }
  // One more row than the page tells whether another page follows.
  absl::StatusOr<std::vector<Row>> rows = database_->Query(
      ctx, absl::StrCat(kFilteredProducts, " ORDER BY sku LIMIT ?5"),
      {Value(*after), Value(request.category()), Value(request.name_contains()),
       Value(ContainsPattern(request.name_contains())), Value(int64_t{*page_size + 1})});
  if (!rows.ok()) return rows.status();
  const size_t shown = std::min(rows->size(), static_cast<size_t>(*page_size));
  for (size_t i = 0; i < shown; ++i) ToProduct((*rows)[i], *response.add_products());
  if (rows->size() > shown) {
    response.set_next_page_token(shop::EncodePageToken(response.products().rbegin()->sku()));
  }
  return absl::OkStatus();
}

absl::Status CatalogService::StreamProducts(const Context& ctx,
                                            const v1::StreamProductsRequest& request,
                                            rpc::StreamWriter<v1::Product>& out) {
  if (absl::Status s = CheckFilters(request.category(), request.name_contains()); !s.ok()) {
    return s;
  }
  v1::Product product;
  // Each row is written as the cursor reads it; a write that waits for the reader
  // holds the cursor, and the Context's end stops both.
  return database_->QueryEach(
      ctx, absl::StrCat(kFilteredProducts, " ORDER BY sku"),
      {Value(std::string()), Value(request.category()), Value(request.name_contains()),
       Value(ContainsPattern(request.name_contains()))},
      [&](Row&& row) {
        ToProduct(row, product);
        return out.Write(product);
      });
}

absl::Status CatalogService::UpsertProduct(const Context& ctx,
                                           const v1::UpsertProductRequest& request,
                                           v1::Product& product) {
  if (!request.has_product()) {
    return absl::InvalidArgumentError("product: is required");
  }
  if (absl::Status s = CheckProduct(request.product()); !s.ok()) return s;
  const v1::Product& p = request.product();
  absl::StatusOr<int64_t> changed = database_->Execute(
      ctx,
      "INSERT INTO products (sku, name, description, price_cents, category) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (sku) DO UPDATE SET name = excluded.name, "
      "description = excluded.description, price_cents = excluded.price_cents, "
      "category = excluded.category",
      {Value(p.sku()), Value(p.name()), Value(p.description()), Value(int64_t{p.price_cents()}),
       Value(p.category())});
  if (!changed.ok()) return changed.status();
  product = p;
  return absl::OkStatus();
}

CatalogService::CatalogService(rpc::ServerAdapter* adapter, storage::Database* database)
    : adapter_(adapter), database_(database) {
  BATON_SERVE_UNARY(v1::CatalogService, GetProduct, v1::GetProductRequest, v1::Product);
  BATON_SERVE_UNARY(v1::CatalogService, ListProducts, v1::ListProductsRequest,
                    v1::ListProductsResponse);
  BATON_SERVE_UNARY(v1::CatalogService, UpsertProduct, v1::UpsertProductRequest, v1::Product);
}

BATON_SERVER_STREAM_METHOD(CatalogService, StreamProducts, v1::StreamProductsRequest, v1::Product)

}  // namespace baton::catalog
