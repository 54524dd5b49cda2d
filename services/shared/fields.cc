#include "services/shared/fields.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace baton::shop {
namespace {

absl::Status Invalid(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(why)));
}

bool OnlyOf(std::string_view text, std::string_view punctuation) {
  return std::all_of(text.begin(), text.end(), [&](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
           punctuation.find(c) != std::string_view::npos;
  });
}

}  // namespace

absl::Status CheckSku(std::string_view field, std::string_view sku) {
  if (sku.empty()) return Invalid(field, "is required");
  if (sku.size() > 64 || !OnlyOf(sku, "._-")) {
    return Invalid(field, "must be 1-64 characters of A-Z a-z 0-9 . _ -");
  }
  return absl::OkStatus();
}

absl::Status CheckId(std::string_view field, std::string_view id) {
  if (id.empty()) return Invalid(field, "is required");
  if (id.size() > 128 || !OnlyOf(id, "._:-")) {
    return Invalid(field, "must be 1-128 characters of A-Z a-z 0-9 . _ : -");
  }
  return absl::OkStatus();
}

absl::Status CheckText(std::string_view field, std::string_view text, size_t min, size_t max) {
  if (text.size() < min) {
    return min == 1 ? Invalid(field, "is required")
                    : Invalid(field, absl::StrFormat("must be at least %d bytes", min));
  }
  if (text.size() > max) return Invalid(field, absl::StrFormat("must be at most %d bytes", max));
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Invalid(field, "must not contain control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRange(std::string_view field, int64_t value, int64_t min, int64_t max) {
  if (value < min || value > max) {
    return Invalid(field, absl::StrFormat("must be between %d and %d, not %d", min, max, value));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PageSize(int32_t requested, int fallback, int max) {
  if (requested == 0) return fallback;
  if (absl::Status range = CheckRange("page_size", requested, 0, max); !range.ok()) {
    return range;
  }
  return requested;
}

std::string EncodePageToken(std::string_view position) {
  return absl::WebSafeBase64Escape(absl::string_view(position.data(), position.size()));
}

absl::StatusOr<std::string> DecodePageToken(std::string_view token) {
  std::string position;
  if (token.empty()) return position;
  if (!absl::WebSafeBase64Unescape(absl::string_view(token.data(), token.size()), &position) ||
      position.empty()) {
    return Invalid("page_token", "is not a token this service issued");
  }
  return position;
}

int64_t IntColumn(const storage::Value& value) {
  if (const int64_t* integer = std::get_if<int64_t>(&value)) return *integer;
  if (const double* real = std::get_if<double>(&value)) return static_cast<int64_t>(*real);
  if (const std::string* text = std::get_if<std::string>(&value)) {
    int64_t parsed = 0;
    if (absl::SimpleAtoi(*text, &parsed)) return parsed;
  }
  return 0;
}

std::string TextColumn(const storage::Value& value) {
  if (const std::string* text = std::get_if<std::string>(&value)) return *text;
  if (const int64_t* integer = std::get_if<int64_t>(&value)) return absl::StrCat(*integer);
  return "";
}

}  // namespace baton::shop
