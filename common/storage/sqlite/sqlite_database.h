// The embedded default backend: SQLite files (or memory) behind a Database.
//
// A pool of connections to one file, in WAL mode, each with a cache of prepared
// statements (sqlite_connection.h says how each statement obeys the Context). Waiting
// for a free connection is bounded by the Context. "sqlite::memory:" gets a single
// connection, since each SQLite connection to :memory: is a database of its own.
#ifndef BATON_COMMON_STORAGE_SQLITE_SQLITE_DATABASE_H_
#define BATON_COMMON_STORAGE_SQLITE_SQLITE_DATABASE_H_

#include <memory>
#include <string>

#include "common/storage/database.h"

namespace baton::storage {

// Opens (creating if needed) the file at `path`, or ":memory:". UNAVAILABLE when the
// file cannot be opened.
absl::StatusOr<std::unique_ptr<Database>> OpenSqlite(const std::string& path,
                                                     int pool_size = 4);

}  // namespace baton::storage

#endif  // BATON_COMMON_STORAGE_SQLITE_SQLITE_DATABASE_H_
