// PostgreSQL behind a Database, for users who outgrow one machine.
//
// A pool of libpq connections (postgres_connection.h says how each statement obeys
// the Context); a broken connection is closed and replaced, never reused. Transactions
// begin with BEGIN (READ COMMITTED). Authentication is libpq's: ~/.pgpass, PGPASSWORD,
// or trust on loopback — passwords never appear in storage URLs.
//
// Scaling out: PostgreSQL-wire distributed engines (CockroachDB, YugabyteDB) speak
// this protocol too. What would need care there: they run SERIALIZABLE and ask
// clients to retry transactions on 40001 (mapped to ABORTED here, so callers can
// retry on a fresh Context budget), statement_timeout and cancel requests behave per
// node, and a cancel request may reach a different gateway node than the statement.
#ifndef BATON_COMMON_STORAGE_POSTGRES_POSTGRES_DATABASE_H_
#define BATON_COMMON_STORAGE_POSTGRES_POSTGRES_DATABASE_H_

#include <memory>

#include "common/storage/database.h"
#include "common/storage/storage_url.h"

namespace baton::storage {

// Connects within `ctx`'s budget (UNAVAILABLE naming the server if it cannot).
absl::StatusOr<std::unique_ptr<Database>> OpenPostgres(const Context& ctx,
                                                       const StorageUrl& url,
                                                       int pool_size = 8);

}  // namespace baton::storage

#endif  // BATON_COMMON_STORAGE_POSTGRES_POSTGRES_DATABASE_H_
