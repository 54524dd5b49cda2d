#include "services/gateway/api_keys.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/shared/fields.h"

namespace baton::gateway {
namespace {

constexpr char kKeyPrefix[] = "bk_";

}  // namespace

std::vector<storage::Migration> Schema() {
  return {
      {1,
       "api keys",
       {"CREATE TABLE api_keys (key_hash TEXT PRIMARY KEY, identity TEXT NOT NULL, "
        "create_time_us BIGINT NOT NULL)"}},
  };
}

std::string HashApiKey(std::string_view key) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(key.data(), key.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

absl::StatusOr<std::string> CreateApiKey(const Context& ctx, storage::Database& database,
                                         std::string_view identity) {
  if (absl::Status s = shop::CheckText("identity", identity, 1, 256); !s.ok()) return s;
  std::array<unsigned char, 32> secret{};
  if (RAND_bytes(secret.data(), secret.size()) != 1) {
    return absl::UnavailableError("no randomness for a new API key");
  }
  const std::string key =
      absl::StrCat(kKeyPrefix, absl::BytesToHexString(absl::string_view(
                                   reinterpret_cast<const char*>(secret.data()), secret.size())));
  absl::StatusOr<int64_t> stored = database.Execute(
      ctx, "INSERT INTO api_keys (key_hash, identity, create_time_us) VALUES (?1, ?2, ?3)",
      {storage::Value(HashApiKey(key)), storage::Value(std::string(identity)),
       storage::Value(absl::ToUnixMicros(absl::Now()))});
  if (!stored.ok()) return stored.status();
  return key;
}

absl::StatusOr<std::string> Authenticate(const Context& ctx, storage::Database& database,
                                         std::string_view key) {
  if (key.empty()) return absl::UnauthenticatedError("the x-api-key header is required");
  absl::StatusOr<std::vector<storage::Row>> rows = database.Query(
      ctx, "SELECT identity FROM api_keys WHERE key_hash = ?1", {storage::Value(HashApiKey(key))});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::UnauthenticatedError("the x-api-key is not valid");
  return shop::TextColumn(rows->front()[0]);
}

}  // namespace baton::gateway
