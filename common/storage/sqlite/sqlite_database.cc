#include "common/storage/sqlite/sqlite_database.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/storage/sqlite/sqlite_connection.h"

namespace baton::storage {

// A pooled connection, returned to the pool when the lease ends.
class SqliteDatabase::Lease {
 public:
  Lease(SqliteDatabase* pool, std::unique_ptr<SqliteConnection> connection)
      : pool_(pool), connection_(std::move(connection)) {}
  ~Lease() { pool_->Return(std::move(connection_)); }
  SqliteConnection& operator*() { return *connection_; }
  SqliteConnection* operator->() { return connection_.get(); }

 private:
  SqliteDatabase* pool_;
  std::unique_ptr<SqliteConnection> connection_;
};

absl::StatusOr<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(const std::string& path,
                                                                     int pool_size) {
  auto database = std::make_unique<SqliteDatabase>(
      Passkey{}, path, path == ":memory:" ? 1 : std::max(1, pool_size));
  // Open one connection now, so a bad path fails here and not on the first request.
  absl::StatusOr<std::unique_ptr<SqliteConnection>> first = SqliteConnection::Open(path);
  if (!first.ok()) return first.status();
  absl::MutexLock lock(&database->mu_);
  database->idle_.push_back(*std::move(first));
  database->open_ = 1;
  return database;
}

SqliteDatabase::SqliteDatabase(Passkey, std::string path, int pool_size)
    : path_(std::move(path)), pool_size_(pool_size) {}

SqliteDatabase::~SqliteDatabase() = default;

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteDatabase::Acquire(const Context& ctx) {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      std::unique_ptr<SqliteConnection> connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
    if (open_ < pool_size_) {
      ++open_;
      mu_.Unlock();
      absl::StatusOr<std::unique_ptr<SqliteConnection>> opened = SqliteConnection::Open(path_);
      mu_.Lock();
      if (!opened.ok()) --open_;
      return opened;
    }
  }
  // Every connection is busy: wait for one for as long as the Context allows. Its end
  // wakes the wait (registered without mu_ held: on a done Context it runs at once).
  AfterFuncHandle wake = AfterFunc(ctx, [this] {
    absl::MutexLock lock(&mu_);
    ++wakeups_;
  });
  std::unique_ptr<SqliteConnection> connection;
  {
    absl::MutexLock lock(&mu_);
    struct Ready {
      SqliteDatabase* self;
      const Context* ctx;
    } ready{this, &ctx};
    mu_.Await(absl::Condition(
        +[](Ready* r) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return !r->self->idle_.empty() || r->ctx->IsDone();
        },
        &ready));
    if (!idle_.empty()) {
      connection = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  wake.Stop();
  if (connection == nullptr) return Cause(ctx);
  return connection;
}

void SqliteDatabase::Return(std::unique_ptr<SqliteConnection> connection) {
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(connection));
}

absl::StatusOr<std::vector<Row>> SqliteDatabase::Query(const Context& ctx, std::string_view sql,
                                                       const std::vector<Value>& params) {
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection = Acquire(ctx);
  if (!connection.ok()) return connection.status();
  Lease lease(this, *std::move(connection));
  return lease->Query(ctx, sql, params);
}

absl::StatusOr<int64_t> SqliteDatabase::Execute(const Context& ctx, std::string_view sql,
                                                const std::vector<Value>& params) {
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection = Acquire(ctx);
  if (!connection.ok()) return connection.status();
  Lease lease(this, *std::move(connection));
  return lease->Execute(ctx, sql, params);
}

absl::Status SqliteDatabase::Transaction(const Context& ctx,
                                         absl::FunctionRef<absl::Status(Connection&)> body) {
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection = Acquire(ctx);
  if (!connection.ok()) return connection.status();
  Lease lease(this, *std::move(connection));
  // IMMEDIATE: take the write lock now (waiting within the budget), so the body cannot
  // fail halfway on a lock it could have waited for up front.
  absl::Status status = lease->Execute(ctx, "BEGIN IMMEDIATE", {}).status();
  if (!status.ok()) return status;
  status = body(*lease);
  if (status.ok() && ctx.IsDone()) status = Cause(ctx);
  if (status.ok()) {
    status = lease->Execute(ctx, "COMMIT", {}).status();
    if (status.ok()) return status;
  }
  // Roll back even though the request may be gone: on a Context of its own.
  auto [cleanup, cancel] = WithTimeout(WithoutCancel(ctx), absl::Seconds(5));
  absl::Status rollback = lease->Execute(cleanup, "ROLLBACK", {}).status();
  if (!rollback.ok()) {
    return absl::InternalError(absl::StrCat(status.message(), "; and the rollback failed: ",
                                            rollback.message()));
  }
  return status;
}

}  // namespace baton::storage
