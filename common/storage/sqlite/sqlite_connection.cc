#include "common/storage/sqlite/sqlite_connection.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace baton::storage {
namespace {

std::string Snippet(std::string_view sql) {
  return std::string(sql.substr(0, 80));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(
    const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                     SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return absl::UnavailableError(absl::StrCat("sqlite: cannot open \"", path, "\": ", message));
  }
  sqlite3_extended_result_codes(db, 1);
  auto connection = std::make_unique<SqliteConnection>(Passkey{}, db);
  sqlite3_busy_handler(db, &SqliteConnection::OnBusy, connection.get());
  // Checked every 1000 virtual-machine steps: closes the window in which a cancel
  // arrives just before a statement starts, when sqlite3_interrupt would be a no-op.
  sqlite3_progress_handler(db, 1000, &SqliteConnection::OnProgress, connection.get());
  auto [setup, release_setup] = WithTimeout(Background(), absl::Seconds(10));
  for (const char* pragma : {"PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL"}) {
    absl::Status status = connection->Execute(setup, pragma, {}).status();
    if (!status.ok()) return status;
  }
  if (path != ":memory:") {
    // WAL: readers do not block the writer, nor the writer readers.
    absl::StatusOr<std::vector<Row>> mode =
        connection->Query(setup, "PRAGMA journal_mode = WAL", {});
    if (!mode.ok()) return mode.status();
  }
  return connection;
}

SqliteConnection::SqliteConnection(Passkey, sqlite3* db) : db_(db) {}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
  sqlite3_close_v2(db_);
}

int SqliteConnection::OnBusy(void* self, int attempts) {
  const Context* ctx = static_cast<SqliteConnection*>(self)->running_;
  if (ctx == nullptr || ctx->IsDone()) return 0;
  // Back off from 1 ms to 20 ms, waking at once if the Context ends: the wait for a
  // lock lasts exactly as long as the request's budget.
  const absl::Duration pause = absl::Milliseconds(std::min(20, 1 + attempts));
  ctx->WaitFor(std::min(pause, std::max(ctx->Remaining(), absl::ZeroDuration())));
  return ctx->IsDone() ? 0 : 1;
}

int SqliteConnection::OnProgress(void* self) {
  const Context* ctx = static_cast<SqliteConnection*>(self)->running_;
  return ctx != nullptr && ctx->IsDone() ? 1 : 0;
}

absl::StatusOr<sqlite3_stmt*> SqliteConnection::Prepare(std::string_view sql) {
  std::string key(sql);
  auto it = statements_.find(key);
  if (it != statements_.end()) return it->second;
  sqlite3_stmt* statement = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
  if (rc != SQLITE_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("sqlite: cannot prepare \"", Snippet(sql), "\": ", sqlite3_errmsg(db_)));
  }
  if (statement == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("sqlite: no statement in \"", Snippet(sql), "\""));
  }
  statements_.emplace(std::move(key), statement);
  return statement;
}

absl::Status SqliteConnection::ErrorStatus(int code, const Context& ctx,
                                           std::string_view sql) const {
  const int primary = code & 0xff;
  const std::string what =
      absl::StrCat("sqlite: \"", Snippet(sql), "\": ", sqlite3_errmsg(db_));
  if (primary == SQLITE_INTERRUPT ||
      ((primary == SQLITE_BUSY || primary == SQLITE_LOCKED) && ctx.IsDone())) {
    // The Context ended the statement: say which budget, not what SQLite saw.
    return ctx.IsDone() ? Cause(ctx) : absl::CancelledError(what);
  }
  switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return absl::AlreadyExistsError(what);
    default:
      break;
  }
  switch (primary) {
    case SQLITE_CONSTRAINT:
      return absl::FailedPreconditionError(what);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
      return absl::UnavailableError(what);
    case SQLITE_ERROR:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
      return absl::InvalidArgumentError(what);
    default:
      return absl::InternalError(what);
  }
}

absl::Status SqliteConnection::Run(const Context& ctx, std::string_view sql,
                                   const std::vector<Value>& params,
                                   absl::FunctionRef<absl::Status(Row&&)>* on_row) {
  if (ctx.IsDone()) return Cause(ctx);
  absl::StatusOr<sqlite3_stmt*> prepared = Prepare(sql);
  if (!prepared.ok()) return prepared.status();
  sqlite3_stmt* statement = *prepared;
  if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(statement)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sqlite: \"", Snippet(sql), "\" takes ", sqlite3_bind_parameter_count(statement),
        " parameters, got ", params.size()));
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    int rc = SQLITE_OK;
    if (const auto* integer = std::get_if<int64_t>(&params[i])) {
      rc = sqlite3_bind_int64(statement, index, *integer);
    } else if (const auto* real = std::get_if<double>(&params[i])) {
      rc = sqlite3_bind_double(statement, index, *real);
    } else if (const auto* text = std::get_if<std::string>(&params[i])) {
      rc = sqlite3_bind_text(statement, index, text->data(), static_cast<int>(text->size()),
                             SQLITE_TRANSIENT);
    } else {
      rc = sqlite3_bind_null(statement, index);
    }
    if (rc != SQLITE_OK) {
      sqlite3_clear_bindings(statement);
      return ErrorStatus(rc, ctx, sql);
    }
  }

  running_ = &ctx;
  sqlite3* db = db_;
  AfterFuncHandle interrupt = AfterFunc(ctx, [db] { sqlite3_interrupt(db); });
  int rc = SQLITE_OK;
  absl::Status stopped;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    if (on_row == nullptr) continue;
    Row row;
    const int columns = sqlite3_column_count(statement);
    row.reserve(columns);
    for (int c = 0; c < columns; ++c) {
      switch (sqlite3_column_type(statement, c)) {
        case SQLITE_INTEGER:
          row.emplace_back(int64_t{sqlite3_column_int64(statement, c)});
          break;
        case SQLITE_FLOAT:
          row.emplace_back(sqlite3_column_double(statement, c));
          break;
        case SQLITE_NULL:
          row.emplace_back(std::monostate{});
          break;
        default: {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, c));
          row.emplace_back(std::string(text, sqlite3_column_bytes(statement, c)));
        }
      }
    }
    stopped = (*on_row)(std::move(row));
    if (!stopped.ok()) break;
  }
  const int step_rc = rc;
  rc = sqlite3_reset(statement);
  sqlite3_clear_bindings(statement);
  // Waits out an interrupt that may be running, so it cannot reach the next statement.
  interrupt.Stop();
  running_ = nullptr;
  if (!stopped.ok()) return stopped;
  if (step_rc != SQLITE_DONE) return ErrorStatus(step_rc, ctx, sql);
  return absl::OkStatus();
}

bool SqliteConnection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

absl::StatusOr<std::vector<Row>> SqliteConnection::Query(const Context& ctx,
                                                         std::string_view sql,
                                                         const std::vector<Value>& params) {
  std::vector<Row> rows;
  auto append = [&rows](Row&& row) {
    rows.push_back(std::move(row));
    return absl::OkStatus();
  };
  absl::FunctionRef<absl::Status(Row&&)> collect = append;
  absl::Status status = Run(ctx, sql, params, &collect);
  if (!status.ok()) return status;
  return rows;
}

absl::Status SqliteConnection::QueryEach(const Context& ctx, std::string_view sql,
                                         const std::vector<Value>& params,
                                         absl::FunctionRef<absl::Status(Row&&)> on_row) {
  return Run(ctx, sql, params, &on_row);
}

absl::StatusOr<int64_t> SqliteConnection::Execute(const Context& ctx, std::string_view sql,
                                                  const std::vector<Value>& params) {
  absl::Status status = Run(ctx, sql, params, nullptr);
  if (!status.ok()) return status;
  return sqlite3_changes64(db_);
}

}  // namespace baton::storage
