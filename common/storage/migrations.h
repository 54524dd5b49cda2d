// Versioned schema migrations, applied at start-up.
//
// Each migration has a version (strictly increasing), a name, and its statements. The
// database records applied versions in `schema_migrations`; ApplyMigrations runs each
// missing version in its own transaction (all its statements, then its record), so a
// failed migration leaves nothing of itself behind and a restart resumes where it
// stopped. Two processes starting together are safe: the loser of the race sees the
// version already recorded and moves on.
//
// Errors: INVALID_ARGUMENT for a malformed list (versions not increasing, empty
// statements); FAILED_PRECONDITION when the database is at a version newer than the
// binary knows (an older binary must not run against a newer schema); otherwise the
// failing statement's status, naming the migration.
#ifndef BATON_COMMON_STORAGE_MIGRATIONS_H_
#define BATON_COMMON_STORAGE_MIGRATIONS_H_

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/context/context.h"
#include "common/storage/database.h"

namespace baton::storage {

struct Migration {
  int version;
  std::string_view name;
  std::vector<std::string_view> statements;
};

absl::Status ApplyMigrations(const Context& ctx, Database& db,
                             const std::vector<Migration>& migrations);

}  // namespace baton::storage

#endif  // BATON_COMMON_STORAGE_MIGRATIONS_H_
