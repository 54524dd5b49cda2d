// PostgresConnection: one libpq connection, running each statement under a Context.
//
// The statement is sent asynchronously; the caller then waits on the connection's
// socket and the Context's done descriptor together (poll). When the Context ends
// first, the call returns at once with the Context's cause; the connection, still
// mid-statement, goes to a background sender that cancels the statement (PQcancel)
// and closes it, and this object is left broken, so the pool drops it. A server-side
// statement_timeout equal to the remaining budget is set as a backstop. Placeholders are written ?1, ?2, ...
// as for SQLite, and become $1, $2, ... here.
//
// Thread safety: one call at a time.
#ifndef BATON_COMMON_STORAGE_POSTGRES_POSTGRES_CONNECTION_H_
#define BATON_COMMON_STORAGE_POSTGRES_POSTGRES_CONNECTION_H_

// Debian puts libpq under postgresql/; its own includes are relative to it.
#include <postgresql/libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/storage/database.h"

namespace baton::storage {

class PostgresConnection final : public Connection {
 public:
  // Connects within `ctx`'s budget; UNAVAILABLE naming the server when it cannot.
  static absl::StatusOr<std::unique_ptr<PostgresConnection>> Open(const Context& ctx,
                                                                 const std::string& conninfo);
  ~PostgresConnection() override;

  absl::StatusOr<std::vector<Row>> Query(const Context& ctx, std::string_view sql,
                                         const std::vector<Value>& params) override;
  absl::StatusOr<int64_t> Execute(const Context& ctx, std::string_view sql,
                                  const std::vector<Value>& params) override;
  // Single-row mode: each row is handed on as it arrives. A reader that stops early
  // (or a Context that ends) cancels the statement; the connection is closed aside.
  absl::Status QueryEach(const Context& ctx, std::string_view sql,
                         const std::vector<Value>& params,
                         absl::FunctionRef<absl::Status(Row&&)> on_row) override;

  // False once the connection broke: the pool drops it instead of reusing it.
  bool healthy() const;
  // Whether a transaction is open (also one that failed and awaits its ROLLBACK).
  bool in_transaction() const;

 private:
  struct Passkey {};

 public:
  PostgresConnection(Passkey, PGconn* conn);

 private:
  // Runs `sql`: rows to `on_row` (if non-null; stops at its first error), the count
  // of changed rows to `changed` (if non-null).
  absl::Status Run(const Context& ctx, std::string_view sql, const std::vector<Value>& params,
                   absl::FunctionRef<absl::Status(Row&&)>* on_row, int64_t* changed,
                   bool one_at_a_time);
  static Row ToRow(const PGresult* result, int r);
  // Waits until the pending result is ready; sends a cancel if the Context ends first.
  absl::Status AwaitResult(const Context& ctx);
  absl::Status ErrorStatus(const PGresult* result, const Context& ctx) const;

  // Null once handed to the background sender.
  PGconn* conn_;
  // Set when the connection cannot be trusted for another statement.
  bool broken_ = false;
};

// "$N" for each "?N" outside quotes; `highest` gets the largest N seen (0 if none).
std::string ToPostgresPlaceholders(std::string_view sql, int* highest);

}  // namespace baton::storage

#endif  // BATON_COMMON_STORAGE_POSTGRES_POSTGRES_CONNECTION_H_
