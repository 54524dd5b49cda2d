#include "common/storage/postgres/postgres_connection.h"

#include <poll.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/storage/postgres/cancel_and_close.h"

namespace baton::storage {
namespace {

// Type OIDs from pg_type.h.
constexpr Oid kInt8 = 20, kInt2 = 21, kInt4 = 23, kFloat4 = 700, kFloat8 = 701, kBool = 16;

int PollTimeoutMs(const Context& ctx) {
  const absl::Duration left = ctx.Remaining();
  if (left == absl::InfiniteDuration()) return -1;
  return static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(left) + 1, 0, 60000));
}

}  // namespace

std::string ToPostgresPlaceholders(std::string_view sql, int* highest) {
  std::string out;
  out.reserve(sql.size());
  *highest = 0;
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '?') {
      int n = 0;
      size_t j = i + 1;
      while (j < sql.size() && j < i + 6 && sql[j] >= '0' && sql[j] <= '9') {
        n = n * 10 + (sql[j] - '0');
        ++j;
      }
      *highest = std::max(*highest, n);
      out.push_back('$');
      continue;
    }
    out.push_back(c);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<PostgresConnection>> PostgresConnection::Open(
    const Context& ctx, const std::string& conninfo) {
  if (ctx.IsDone()) return Cause(ctx);
  PGconn* conn = PQconnectStart(conninfo.c_str());
  if (conn == nullptr) return absl::ResourceExhaustedError("libpq: out of memory");
  auto connection = std::make_unique<PostgresConnection>(Passkey{}, conn);
  if (PQstatus(conn) == CONNECTION_BAD) {
    return absl::UnavailableError(absl::StrCat("postgres: ", PQerrorMessage(conn)));
  }
  // Drive the non-blocking connect, waiting on the socket and the Context together.
  absl::StatusOr<int> done_fd = ctx.DoneFd();
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) {
      return absl::UnavailableError(absl::StrCat("postgres: ", PQerrorMessage(conn)));
    }
    pollfd fds[2] = {{PQsocket(conn), static_cast<short>(state == PGRES_POLLING_READING
                                                             ? POLLIN
                                                             : POLLOUT), 0},
                     {done_fd.ok() ? *done_fd : -1, POLLIN, 0}};
    if (poll(fds, 2, PollTimeoutMs(ctx)) < 0 && errno != EINTR) {
      return absl::UnavailableError(absl::StrCat("postgres: poll: ", std::strerror(errno)));
    }
    if (ctx.IsDone()) return Cause(ctx);
    state = PQconnectPoll(conn);
  }
  PQsetnonblocking(conn, 1);
  return connection;
}

PostgresConnection::PostgresConnection(Passkey, PGconn* conn) : conn_(conn) {}

PostgresConnection::~PostgresConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

bool PostgresConnection::healthy() const {
  return !broken_ && conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK;
}

bool PostgresConnection::in_transaction() const {
  return conn_ != nullptr && PQtransactionStatus(conn_) != PQTRANS_IDLE;
}

absl::Status PostgresConnection::AwaitResult(const Context& ctx) {
  absl::StatusOr<int> done_fd = ctx.DoneFd();
  for (;;) {
    // 1: part of the query is still to be sent (a large one fills the socket) — wait
    // for the socket to take more as well as for the server to answer.
    const int unsent = PQflush(conn_);
    if (unsent < 0 || PQconsumeInput(conn_) == 0) {
      broken_ = true;
      return absl::UnavailableError(absl::StrCat("postgres: ", PQerrorMessage(conn_)));
    }
    if (unsent == 0 && PQisBusy(conn_) == 0) return absl::OkStatus();
    if (ctx.IsDone()) {
      // Return now. The connection, mid-statement, cannot be reused; another thread
      // tells the server to stop (a cancel request takes milliseconds) and closes it.
      CancelAndCloseAsync(std::exchange(conn_, nullptr));
      broken_ = true;
      return Cause(ctx);
    }
    const short socket_events = unsent == 1 ? POLLIN | POLLOUT : POLLIN;
    pollfd fds[2] = {{PQsocket(conn_), socket_events, 0},
                     {done_fd.ok() ? *done_fd : -1, POLLIN, 0}};
    if (poll(fds, 2, PollTimeoutMs(ctx)) < 0 && errno != EINTR) {
      broken_ = true;
      return absl::UnavailableError(absl::StrCat("postgres: poll: ", std::strerror(errno)));
    }
  }
}

absl::Status PostgresConnection::ErrorStatus(const PGresult* result, const Context& ctx) const {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state != nullptr ? state : "";
  const std::string what = absl::StrCat(
      "postgres: ", result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
  if (sqlstate == "57014" || ctx.IsDone()) {
    // query_canceled: our cancel, or the statement_timeout backstop for our budget.
    return ctx.IsDone() ? Cause(ctx) : absl::DeadlineExceededError(what);
  }
  if (sqlstate == "23505") return absl::AlreadyExistsError(what);
  if (absl::StartsWith(sqlstate, "23")) return absl::FailedPreconditionError(what);
  if (sqlstate == "40001" || sqlstate == "40P01") return absl::AbortedError(what);
  if (absl::StartsWith(sqlstate, "42") || absl::StartsWith(sqlstate, "22")) {
    return absl::InvalidArgumentError(what);
  }
  if (absl::StartsWith(sqlstate, "08") || absl::StartsWith(sqlstate, "57") || !healthy()) {
    return absl::UnavailableError(what);
  }
  return absl::InternalError(what);
}

Row PostgresConnection::ToRow(const PGresult* result, int r) {
  Row row;
  const int columns = PQnfields(result);
  row.reserve(columns);
  for (int c = 0; c < columns; ++c) {
    if (PQgetisnull(result, r, c)) {
      row.emplace_back(std::monostate{});
      continue;
    }
    const char* text = PQgetvalue(result, r, c);
    const Oid type = PQftype(result, c);
    int64_t integer = 0;
    double real = 0;
    if ((type == kInt8 || type == kInt4 || type == kInt2) && absl::SimpleAtoi(text, &integer)) {
      row.emplace_back(integer);
    } else if ((type == kFloat4 || type == kFloat8) && absl::SimpleAtod(text, &real)) {
      row.emplace_back(real);
    } else if (type == kBool) {
      row.emplace_back(int64_t{text[0] == 't' ? 1 : 0});
    } else {
      row.emplace_back(std::string(text, PQgetlength(result, r, c)));
    }
  }
  return row;
}

absl::Status PostgresConnection::Run(const Context& ctx, std::string_view sql,
                                     const std::vector<Value>& params,
                                     absl::FunctionRef<absl::Status(Row&&)>* on_row,
                                     int64_t* changed, bool one_at_a_time) {
  if (ctx.IsDone()) return Cause(ctx);
  if (conn_ == nullptr) {
    return absl::UnavailableError("postgres: connection closed after a cancelled statement");
  }
  int placeholders = 0;
  const std::string query = ToPostgresPlaceholders(sql, &placeholders);
  if (placeholders != static_cast<int>(params.size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "postgres: \"", absl::string_view(sql.data(), std::min<size_t>(sql.size(), 80)),
        "\" takes ", placeholders, " parameters, got ", params.size()));
  }
  // The server's own backstop: never work past our budget even if our cancel is lost.
  const absl::Duration left = ctx.Remaining();
  const std::string timeout =
      left == absl::InfiniteDuration()
          ? "SET statement_timeout = 0"
          : absl::StrCat("SET statement_timeout = ",
                         std::max<int64_t>(1, absl::ToInt64Milliseconds(left) + 1));
  std::vector<std::string> texts(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  for (size_t i = 0; i < params.size(); ++i) {
    if (const auto* integer = std::get_if<int64_t>(&params[i])) {
      texts[i] = absl::StrCat(*integer);
    } else if (const auto* real = std::get_if<double>(&params[i])) {
      texts[i] = absl::StrCat(*real);
    } else if (const auto* text = std::get_if<std::string>(&params[i])) {
      texts[i] = *text;
    } else {
      continue;  // NULL.
    }
    values[i] = texts[i].c_str();
  }
  // Two statements in one round trip is not possible with parameters; the SET goes
  // first on its own (a few tens of microseconds on loopback).
  if (PQsendQuery(conn_, timeout.c_str()) == 0) {
    return absl::UnavailableError(absl::StrCat("postgres: ", PQerrorMessage(conn_)));
  }
  absl::Status status;
  for (;;) {  // Every PQgetResult waits for its input first: none may block the thread.
    status = AwaitResult(ctx);
    if (!status.ok()) return status;
    PGresult* result = PQgetResult(conn_);
    if (result == nullptr) break;
    PQclear(result);
  }

  if (PQsendQueryParams(conn_, query.c_str(), static_cast<int>(params.size()), nullptr,
                        values.data(), nullptr, nullptr, 0) == 0) {
    return absl::UnavailableError(absl::StrCat("postgres: ", PQerrorMessage(conn_)));
  }
  // A cursor gets its rows one at a time as they arrive (single-row mode).
  if (on_row != nullptr && one_at_a_time) PQsetSingleRowMode(conn_);
  absl::Status outcome = absl::OkStatus();
  for (;;) {
    status = AwaitResult(ctx);
    if (!status.ok()) return status;
    PGresult* result = PQgetResult(conn_);
    if (result == nullptr) break;
    const ExecStatusType kind = PQresultStatus(result);
    if ((kind == PGRES_TUPLES_OK || kind == PGRES_SINGLE_TUPLE) && on_row != nullptr &&
        outcome.ok()) {
      for (int r = 0; r < PQntuples(result) && outcome.ok(); ++r) {
        outcome = (*on_row)(ToRow(result, r));
      }
      // Rows already buffered would keep the cursor going past its Context's end.
      if (outcome.ok() && kind == PGRES_SINGLE_TUPLE && ctx.IsDone()) outcome = Cause(ctx);
      if (!outcome.ok()) {
        PQclear(result);
        // The reader stopped mid-result: the rest is not wanted. As for a cancelled
        // statement, the server is told to stop and the connection is closed aside.
        CancelAndCloseAsync(std::exchange(conn_, nullptr));
        broken_ = true;
        return outcome;
      }
    } else if (kind == PGRES_COMMAND_OK && changed != nullptr) {
      int64_t n = 0;
      *changed = absl::SimpleAtoi(PQcmdTuples(result), &n) ? n : 0;
    } else if (kind != PGRES_TUPLES_OK && kind != PGRES_SINGLE_TUPLE &&
               kind != PGRES_COMMAND_OK && outcome.ok()) {
      outcome = ErrorStatus(result, ctx);
    }
    PQclear(result);
  }
  return outcome;
}

absl::StatusOr<std::vector<Row>> PostgresConnection::Query(const Context& ctx,
                                                           std::string_view sql,
                                                           const std::vector<Value>& params) {
  std::vector<Row> rows;
  auto append = [&rows](Row&& row) {
    rows.push_back(std::move(row));
    return absl::OkStatus();
  };
  absl::FunctionRef<absl::Status(Row&&)> collect = append;
  absl::Status status = Run(ctx, sql, params, &collect, nullptr, /*one_at_a_time=*/false);
  if (!status.ok()) return status;
  return rows;
}

absl::Status PostgresConnection::QueryEach(const Context& ctx, std::string_view sql,
                                           const std::vector<Value>& params,
                                           absl::FunctionRef<absl::Status(Row&&)> on_row) {
  return Run(ctx, sql, params, &on_row, nullptr, /*one_at_a_time=*/true);
}

absl::StatusOr<int64_t> PostgresConnection::Execute(const Context& ctx, std::string_view sql,
                                                    const std::vector<Value>& params) {
  int64_t changed = 0;
  absl::Status status = Run(ctx, sql, params, nullptr, &changed, /*one_at_a_time=*/false);
  if (!status.ok()) return status;
  return changed;
}

}  // namespace baton::storage
