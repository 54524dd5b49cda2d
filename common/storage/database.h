// Database: the storage API services use, backend-neutral, and obedient to the Context.
//
// Every call takes the request's Context. Its deadline bounds the whole call, waiting
// for locks included; its cancellation interrupts a statement that is running. A call
// that the Context ended returns the Context's cause (DEADLINE_EXCEEDED or CANCELLED,
// naming which budget); storage trouble maps to gRPC-style codes:
//   constraint violation: unique/primary key → ALREADY_EXISTS, other → FAILED_PRECONDITION
//   database unreachable or unopenable        → UNAVAILABLE
//   bad SQL or parameters                     → INVALID_ARGUMENT / INTERNAL
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Database> db, OpenDatabase("sqlite:///data/x.db"));
//   absl::Status s = db->Transaction(ctx, [&](Connection& tx) -> absl::Status {
//     RETURN_IF_ERROR(tx.Execute(ctx, "UPDATE stock SET n = n - ?1 WHERE sku = ?2",
//                                {Value(int64_t{2}), Value("sku-1")}).status());
//     ...
//   });
//
// Transactions commit when the function returns OK and the Context is live, and roll
// back otherwise — including when the Context ends midway: nothing half-written stays.
// A single statement outside a transaction that the Context cut off returns at once;
// on PostgreSQL the server is told to stop it, and if it finished first, it took
// effect — as with any remote call that times out. Writes that must not be left in
// doubt go in a transaction.
//
// Thread safety: a Database may be used from any number of threads; a Connection
// handed to a transaction function belongs to that call only.
#ifndef BATON_COMMON_STORAGE_DATABASE_H_
#define BATON_COMMON_STORAGE_DATABASE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/context/context.h"

namespace baton::storage {

// A column value or a bound parameter: NULL, integer, real or text.
using Value = std::variant<std::monostate, int64_t, double, std::string>;
using Row = std::vector<Value>;

class Connection {
 public:
  virtual ~Connection() = default;
  // Runs a query with parameters bound to ?1, ?2, ...; returns every row.
  virtual absl::StatusOr<std::vector<Row>> Query(const Context& ctx, std::string_view sql,
                                                 const std::vector<Value>& params) = 0;
  // Runs a statement; returns the number of rows it changed.
  virtual absl::StatusOr<int64_t> Execute(const Context& ctx, std::string_view sql,
                                          const std::vector<Value>& params) = 0;
  // Runs a query as a cursor: each row goes to `on_row` as the database produces it,
  // nothing is collected. Stops reading — the statement is abandoned — when `on_row`
  // returns an error (the result) or the Context ends (its cause).
  virtual absl::Status QueryEach(const Context& ctx, std::string_view sql,
                                 const std::vector<Value>& params,
                                 absl::FunctionRef<absl::Status(Row&&)> on_row) = 0;
};

class Database {
 public:
  virtual ~Database() = default;

  // Query/Execute on a connection from the pool, as one implicit transaction.
  virtual absl::StatusOr<std::vector<Row>> Query(const Context& ctx, std::string_view sql,
                                                 const std::vector<Value>& params = {}) = 0;
  virtual absl::StatusOr<int64_t> Execute(const Context& ctx, std::string_view sql,
                                          const std::vector<Value>& params = {}) = 0;
  // Connection::QueryEach on a connection from the pool, held until the last row.
  virtual absl::Status QueryEach(const Context& ctx, std::string_view sql,
                                 const std::vector<Value>& params,
                                 absl::FunctionRef<absl::Status(Row&&)> on_row) = 0;

  // Runs `body` in one transaction: commit on OK with the Context live, roll back
  // otherwise. Returns body's error, the Context's cause, or the commit's error.
  virtual absl::Status Transaction(const Context& ctx,
                                   absl::FunctionRef<absl::Status(Connection&)> body) = 0;
};

// Opens the database a storage URL names (storage_url.h).
absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(std::string_view url);

}  // namespace baton::storage

#endif  // BATON_COMMON_STORAGE_DATABASE_H_
