#include "absl/time/time.h"
#include "common/storage/database.h"
#include "common/storage/postgres/postgres_database.h"
#include "common/storage/sqlite/sqlite_database.h"
#include "common/storage/storage_url.h"

namespace baton::storage {

absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(std::string_view url) {
  absl::StatusOr<StorageUrl> parsed = ParseStorageUrl(url);
  if (!parsed.ok()) return parsed.status();
  switch (parsed->backend) {
    case StorageUrl::Backend::kSqlite:
      return OpenSqlite(parsed->path);
    case StorageUrl::Backend::kPostgres: {
      auto [ctx, cancel] = WithTimeout(Background(), absl::Seconds(10));
      return OpenPostgres(ctx, *parsed);
    }
  }
  return absl::InternalError("unknown storage backend");
}

}  // namespace baton::storage
