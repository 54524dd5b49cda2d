// SqliteConnection: one SQLite connection with its prepared-statement cache, running
// each statement under a Context (see sqlite_database.h for how).
//
// Thread safety: one call at a time; the Context's AfterFunc may interrupt it from
// another thread (sqlite3_interrupt is safe to call from any thread).
#ifndef BATON_COMMON_STORAGE_SQLITE_SQLITE_CONNECTION_H_
#define BATON_COMMON_STORAGE_SQLITE_SQLITE_CONNECTION_H_

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/storage/database.h"

namespace baton::storage {

class SqliteConnection final : public Connection {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(const std::string& path);
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  absl::StatusOr<std::vector<Row>> Query(const Context& ctx, std::string_view sql,
                                         const std::vector<Value>& params) override;
  absl::StatusOr<int64_t> Execute(const Context& ctx, std::string_view sql,
                                  const std::vector<Value>& params) override;
  // Steps the statement row by row; an interrupted or stopped statement is reset.
  absl::Status QueryEach(const Context& ctx, std::string_view sql,
                         const std::vector<Value>& params,
                         absl::FunctionRef<absl::Status(Row&&)> on_row) override;

  // An open SQLite connection stays usable after any statement error.
  bool healthy() const { return true; }
  // Whether a transaction is open. An interrupted write ends its transaction by itself
  // (SQLite rolls it back), so a ROLLBACK after it would fail.
  bool in_transaction() const;

 private:
  struct Passkey {};

 public:
  SqliteConnection(Passkey, sqlite3* db);

 private:
  // Runs `sql`; hands each result row to `on_row` when it is non-null, stopping at
  // its first error.
  absl::Status Run(const Context& ctx, std::string_view sql, const std::vector<Value>& params,
                   absl::FunctionRef<absl::Status(Row&&)>* on_row);
  absl::StatusOr<sqlite3_stmt*> Prepare(std::string_view sql);
  absl::Status ErrorStatus(int code, const Context& ctx, std::string_view sql) const;
  static int OnBusy(void* self, int attempts);
  static int OnProgress(void* self);

  sqlite3* const db_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_;
  // The Context of the statement running now, for the busy handler (same thread).
  const Context* running_ = nullptr;
};

}  // namespace baton::storage

#endif  // BATON_COMMON_STORAGE_SQLITE_SQLITE_CONNECTION_H_
