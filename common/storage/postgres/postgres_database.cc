#include "common/storage/postgres/postgres_database.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/storage/internal/pooled_database.h"
#include "common/storage/postgres/postgres_connection.h"

namespace baton::storage {

absl::StatusOr<std::unique_ptr<Database>> OpenPostgres(const Context& ctx,
                                                       const StorageUrl& url,
                                                       int pool_size) {
  std::string conninfo = absl::StrCat("host=", url.host, " port=", url.port,
                                      " dbname=", url.database, " connect_timeout=10");
  if (!url.user.empty()) absl::StrAppend(&conninfo, " user=", url.user);
  absl::StatusOr<std::unique_ptr<PostgresConnection>> first =
      PostgresConnection::Open(ctx, conninfo);
  if (!first.ok()) return first.status();
  auto database = std::make_unique<internal::PooledDatabase<PostgresConnection>>(
      pool_size,
      [conninfo](const Context& open_ctx) { return PostgresConnection::Open(open_ctx, conninfo); },
      "BEGIN");
  database->Adopt(*std::move(first));
  return database;
}

}  // namespace baton::storage
