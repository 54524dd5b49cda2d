// API keys: how the gateway knows who is calling.
//
// A key is 32 random bytes shown once, as "bk_" + 64 hex digits, when it is created.
// Only its SHA-256 is stored, so a copy of the database does not reveal any key; a
// presented key is hashed and looked up.
//
// Thread safety: functions of the Database, which is thread-safe.
#ifndef BATON_SERVICES_GATEWAY_API_KEYS_H_
#define BATON_SERVICES_GATEWAY_API_KEYS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/context/context.h"
#include "common/storage/database.h"
#include "common/storage/migrations.h"

namespace baton::gateway {

// The gateway's schema: the api_keys table.
std::vector<storage::Migration> Schema();

// Lowercase hex SHA-256 of `key`.
std::string HashApiKey(std::string_view key);

// Creates a key for `identity` and returns it; the only time the key is seen.
absl::StatusOr<std::string> CreateApiKey(const Context& ctx, storage::Database& database,
                                         std::string_view identity);

// The identity a key stands for; UNAUTHENTICATED when the key is missing or unknown.
absl::StatusOr<std::string> Authenticate(const Context& ctx, storage::Database& database,
                                         std::string_view key);

}  // namespace baton::gateway

#endif  // BATON_SERVICES_GATEWAY_API_KEYS_H_
