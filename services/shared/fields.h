// Request validation shared by the shop's services: every check answers
// INVALID_ARGUMENT naming the field and what is wrong with it, so a caller (or a person
// at grpcurl) can fix the request without reading our code.
//
// Thread safety: pure functions.
#ifndef BATON_SERVICES_SHARED_FIELDS_H_
#define BATON_SERVICES_SHARED_FIELDS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/storage/database.h"

namespace baton::shop {

// 1–64 of [A-Za-z0-9._-].
absl::Status CheckSku(std::string_view field, std::string_view sku);
// 1–128 of [A-Za-z0-9._:-].
absl::Status CheckId(std::string_view field, std::string_view id);
// Printable ASCII or UTF-8 text without control characters; `min`–`max` bytes.
absl::Status CheckText(std::string_view field, std::string_view text, size_t min, size_t max);
absl::Status CheckRange(std::string_view field, int64_t value, int64_t min, int64_t max);

// page_size: 0 → `fallback`; otherwise 1–`max`.
absl::StatusOr<int> PageSize(int32_t requested, int fallback, int max);

// Page tokens are opaque to callers: base64 of the position after which the next page
// starts. A token we did not issue is INVALID_ARGUMENT naming page_token.
std::string EncodePageToken(std::string_view position);
absl::StatusOr<std::string> DecodePageToken(std::string_view token);

// Column readers for storage rows; a NULL or mistyped column reads as 0 / "".
int64_t IntColumn(const storage::Value& value);
std::string TextColumn(const storage::Value& value);

}  // namespace baton::shop

#endif  // BATON_SERVICES_SHARED_FIELDS_H_
