// StorageUrl: which backend and where, from one string.
//
//   sqlite:///var/lib/baton/orders.db    a file (absolute path)
//   sqlite://relative/orders.db          a file relative to the working directory
//   sqlite::memory:                      a private in-memory database
//   postgres://user@host:port/db         PostgreSQL (host, port and db required)
//
// Parsing is strict and never throws: anything else is INVALID_ARGUMENT naming what is
// wrong.
#ifndef BATON_COMMON_STORAGE_STORAGE_URL_H_
#define BATON_COMMON_STORAGE_STORAGE_URL_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace baton::storage {

struct StorageUrl {
  enum class Backend { kSqlite, kPostgres };
  Backend backend = Backend::kSqlite;
  // SQLite: the file path, or ":memory:".
  std::string path;
  // PostgreSQL.
  std::string user;
  std::string host;
  int port = 0;
  std::string database;
};

absl::StatusOr<StorageUrl> ParseStorageUrl(std::string_view url);

}  // namespace baton::storage

#endif  // BATON_COMMON_STORAGE_STORAGE_URL_H_
