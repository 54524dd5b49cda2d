#include "common/storage/sqlite/sqlite_database.h"

#include <utility>

#include "common/storage/internal/pooled_database.h"
#include "common/storage/sqlite/sqlite_connection.h"

namespace baton::storage {

absl::StatusOr<std::unique_ptr<Database>> OpenSqlite(const std::string& path, int pool_size) {
  // Open one connection now, so a bad path fails here and not on the first request.
  absl::StatusOr<std::unique_ptr<SqliteConnection>> first = SqliteConnection::Open(path);
  if (!first.ok()) return first.status();
  auto database = std::make_unique<internal::PooledDatabase<SqliteConnection>>(
      path == ":memory:" ? 1 : pool_size,
      [path](const Context&) { return SqliteConnection::Open(path); },
      // IMMEDIATE: take the write lock now, waiting within the budget, so the body
      // cannot fail halfway on a lock it could have waited for up front.
      "BEGIN IMMEDIATE");
  database->Adopt(*std::move(first));
  return database;
}

}  // namespace baton::storage
