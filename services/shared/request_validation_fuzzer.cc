// libFuzzer target: request validation, fed requests as a client could send them —
// arbitrary protobuf wire bytes, decoded the way gRPC decodes them. Beyond "no crash,
// no sanitizer report", it checks validation's promises: a request that passes has only
// well-formed fields (so storage never sees a malformed SKU, id or quantity), every
// refusal is INVALID_ARGUMENT with a message naming a field, and page tokens survive
// encoding and decoding whatever position they carry.
//
// Input: the first byte picks the request (0: PlaceOrderRequest, 1: ReserveRequest,
// 2: ListOrdersRequest, 3: raw bytes as a SKU, an id and a page position); the rest is
// its wire form.
//
//   tools/fuzz.sh [seconds]     (builds with --config=fuzz, runs every fuzzer)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "baton/inventory/v1/inventory.pb.h"
#include "baton/orders/v1/orders.pb.h"
#include "services/shared/fields.h"
#include "services/shared/line_items.h"

namespace {

using baton::shop::CheckId;
using baton::shop::CheckLineItems;
using baton::shop::CheckSku;
using baton::shop::CheckText;

void Require(bool condition) {
  if (!condition) std::abort();
}

bool OnlyOf(std::string_view text, std::string_view extra) {
  for (char c : text) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && extra.find(c) == std::string_view::npos) return false;
  }
  return true;
}

// A refusal is INVALID_ARGUMENT and starts with the field it is about ("items[3].sku: ").
void RequireNamedRefusal(const absl::Status& status) {
  if (status.ok()) return;
  Require(status.code() == absl::StatusCode::kInvalidArgument);
  const absl::string_view message = status.message();
  const size_t colon = message.find(": ");
  Require(colon != absl::string_view::npos && colon > 0);
}

void CheckItems(const google::protobuf::RepeatedPtrField<baton::inventory::v1::LineItem>& items) {
  const absl::Status status = CheckLineItems(items);
  RequireNamedRefusal(status);
  if (!status.ok()) return;
  Require(!items.empty() && items.size() <= baton::shop::kMaxLineItems);
  for (const auto& item : items) {
    Require(!item.sku().empty() && item.sku().size() <= 64 && OnlyOf(item.sku(), "._-"));
    Require(item.quantity() >= 1 && item.quantity() <= baton::shop::kMaxQuantity);
  }
}

void CheckPageToken(const std::string& token) {
  absl::StatusOr<std::string> position = baton::shop::DecodePageToken(token);
  RequireNamedRefusal(position.status());
  if (!position.ok()) return;
  absl::StatusOr<std::string> again =
      baton::shop::DecodePageToken(baton::shop::EncodePageToken(*position));
  Require(again.ok() && *again == *position);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string wire(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      baton::orders::v1::PlaceOrderRequest request;
      if (!request.ParseFromString(wire)) return 0;
      RequireNamedRefusal(CheckText("customer", request.customer(), 1, 128));
      CheckItems(request.items());
      break;
    }
    case 1: {
      baton::inventory::v1::ReserveRequest request;
      if (!request.ParseFromString(wire)) return 0;
      const absl::Status id = CheckId("order_id", request.order_id());
      RequireNamedRefusal(id);
      if (id.ok()) {
        Require(!request.order_id().empty() && request.order_id().size() <= 128 &&
                OnlyOf(request.order_id(), "._:-"));
      }
      CheckItems(request.items());
      break;
    }
    case 2: {
      baton::orders::v1::ListOrdersRequest request;
      if (!request.ParseFromString(wire)) return 0;
      RequireNamedRefusal(CheckText("customer", request.customer(), 0, 128));
      absl::StatusOr<int> page_size = baton::shop::PageSize(request.page_size(), 20, 100);
      RequireNamedRefusal(page_size.status());
      if (page_size.ok()) Require(*page_size >= 1 && *page_size <= 100);
      CheckPageToken(request.page_token());
      break;
    }
    default: {
      RequireNamedRefusal(CheckSku("sku", wire));
      RequireNamedRefusal(CheckId("order_id", wire));
      CheckPageToken(wire);
      absl::StatusOr<std::string> decoded =
          baton::shop::DecodePageToken(baton::shop::EncodePageToken(wire));
      Require(decoded.ok() && *decoded == wire);
      break;
    }
  }
  return 0;
}
