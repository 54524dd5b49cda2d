// SqliteDatabase: the embedded default backend (Database over SQLite).
//
// A pool of connections to one file, in WAL mode, each with a cache of prepared
// statements. How it obeys the Context:
//   - a running statement is interrupted (sqlite3_interrupt, from AfterFunc) the moment
//     the Context is cancelled or its deadline passes;
//   - waiting for another connection's lock is bounded by the Context, not a fixed busy
//     timeout: the busy handler sleeps on the Context and gives up when it is done;
//   - waiting for a free pooled connection is bounded the same way.
// "sqlite::memory:" gets a single connection (each SQLite connection to :memory: is a
// database of its own).
//
// Thread safety: thread-safe; each pooled connection is used by one call at a time.
#ifndef BATON_COMMON_STORAGE_SQLITE_SQLITE_DATABASE_H_
#define BATON_COMMON_STORAGE_SQLITE_SQLITE_DATABASE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/storage/database.h"

namespace baton::storage {

class SqliteConnection;

class SqliteDatabase final : public Database {
 public:
  // Opens (creating if needed) the file at `path`, or ":memory:". Fails with
  // UNAVAILABLE when the file cannot be opened.
  static absl::StatusOr<std::unique_ptr<SqliteDatabase>> Open(const std::string& path,
                                                             int pool_size = 4);
  ~SqliteDatabase() override;

  absl::StatusOr<std::vector<Row>> Query(const Context& ctx, std::string_view sql,
                                         const std::vector<Value>& params = {}) override;
  absl::StatusOr<int64_t> Execute(const Context& ctx, std::string_view sql,
                                  const std::vector<Value>& params = {}) override;
  absl::Status Transaction(const Context& ctx,
                           absl::FunctionRef<absl::Status(Connection&)> body) override;

 private:
  struct Passkey {};

 public:
  SqliteDatabase(Passkey, std::string path, int pool_size);

 private:
  class Lease;
  absl::StatusOr<std::unique_ptr<SqliteConnection>> Acquire(const Context& ctx);
  void Return(std::unique_ptr<SqliteConnection> connection);

  const std::string path_;
  const int pool_size_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  int wakeups_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace baton::storage

#endif  // BATON_COMMON_STORAGE_SQLITE_SQLITE_DATABASE_H_
