// Validation of an order's items, shared by orders (which takes them from callers) and
// inventory (which reserves them): 1–100 items, each SKU valid and listed once, each
// quantity 1–1000. Errors name the item: "items[2].quantity: ...".
#ifndef BATON_SERVICES_SHARED_LINE_ITEMS_H_
#define BATON_SERVICES_SHARED_LINE_ITEMS_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "baton/inventory/v1/inventory.pb.h"
#include "services/shared/fields.h"

namespace baton::shop {

inline constexpr int kMaxLineItems = 100;
inline constexpr int64_t kMaxQuantity = 1000;

inline absl::Status CheckLineItems(
    const google::protobuf::RepeatedPtrField<inventory::v1::LineItem>& items) {
  if (items.empty()) return absl::InvalidArgumentError("items: at least one is required");
  if (items.size() > kMaxLineItems) {
    return absl::InvalidArgumentError(absl::StrCat("items: at most ", kMaxLineItems));
  }
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < items.size(); ++i) {
    const std::string field = absl::StrCat("items[", i, "]");
    if (absl::Status s = CheckSku(field + ".sku", items[i].sku()); !s.ok()) return s;
    if (absl::Status s = CheckRange(field + ".quantity", items[i].quantity(), 1, kMaxQuantity);
        !s.ok()) {
      return s;
    }
    if (!seen.insert(items[i].sku()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".sku: \"", items[i].sku(), "\" is listed twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace baton::shop

#endif  // BATON_SERVICES_SHARED_LINE_ITEMS_H_
