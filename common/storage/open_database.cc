#include "common/storage/database.h"
#include "common/storage/sqlite/sqlite_database.h"
#include "common/storage/storage_url.h"

namespace baton::storage {

absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(std::string_view url) {
  absl::StatusOr<StorageUrl> parsed = ParseStorageUrl(url);
  if (!parsed.ok()) return parsed.status();
  switch (parsed->backend) {
    case StorageUrl::Backend::kSqlite: {
      absl::StatusOr<std::unique_ptr<SqliteDatabase>> sqlite =
          SqliteDatabase::Open(parsed->path);
      if (!sqlite.ok()) return sqlite.status();
      return std::unique_ptr<Database>(*std::move(sqlite));
    }
    case StorageUrl::Backend::kPostgres:
      return absl::UnimplementedError(
          "storage URL names PostgreSQL, whose backend is not built yet; use sqlite://");
  }
  return absl::InternalError("unknown storage backend");
}

}  // namespace baton::storage
