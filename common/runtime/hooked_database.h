// HookedDatabase: a Database with a hook before and after every call — how the runtime
// adds fault injection (before: may fail or delay the call) and storage metrics (after:
// duration and outcome) to a service's database without the service knowing.
//
// Thread safety: as the wrapped Database; the hooks must be thread-safe.
#ifndef BATON_COMMON_RUNTIME_HOOKED_DATABASE_H_
#define BATON_COMMON_RUNTIME_HOOKED_DATABASE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/time/clock.h"
#include "common/storage/database.h"

namespace baton::runtime {

class HookedDatabase final : public storage::Database {
 public:
  struct Hooks {
    // An error is the call's result; the database is not called.
    std::function<absl::Status(const Context&)> before;
    // `operation` is "query", "query_each", "execute" or "transaction".
    std::function<void(std::string_view operation, absl::Duration, const absl::Status&)> after;
  };

  HookedDatabase(std::unique_ptr<storage::Database> database, Hooks hooks)
      : database_(std::move(database)), hooks_(std::move(hooks)) {}

  absl::StatusOr<std::vector<storage::Row>> Query(
      const Context& ctx, std::string_view sql,
      const std::vector<storage::Value>& params) override {
    return Around<std::vector<storage::Row>>(ctx, "query",
                                             [&] { return database_->Query(ctx, sql, params); });
  }

  absl::StatusOr<int64_t> Execute(const Context& ctx, std::string_view sql,
                                  const std::vector<storage::Value>& params) override {
    return Around<int64_t>(ctx, "execute", [&] { return database_->Execute(ctx, sql, params); });
  }

  absl::Status QueryEach(const Context& ctx, std::string_view sql,
                         const std::vector<storage::Value>& params,
                         absl::FunctionRef<absl::Status(storage::Row&&)> on_row) override {
    open_cursors_.fetch_add(1, std::memory_order_relaxed);
    absl::StatusOr<bool> done = Around<bool>(ctx, "query_each", [&]() -> absl::StatusOr<bool> {
      absl::Status status = database_->QueryEach(ctx, sql, params, on_row);
      if (!status.ok()) return status;
      return true;
    });
    open_cursors_.fetch_sub(1, std::memory_order_relaxed);
    return done.status();
  }

  // Cursors (QueryEach calls) open now: one per stream reading one, never more.
  int64_t open_cursors() const { return open_cursors_.load(std::memory_order_relaxed); }

  absl::Status Transaction(const Context& ctx,
                           absl::FunctionRef<absl::Status(storage::Connection&)> body) override {
    absl::StatusOr<bool> done = Around<bool>(ctx, "transaction", [&]() -> absl::StatusOr<bool> {
      absl::Status status = database_->Transaction(ctx, body);
      if (!status.ok()) return status;
      return true;
    });
    return done.status();
  }

 private:
  template <typename T, typename Call>
  absl::StatusOr<T> Around(const Context& ctx, std::string_view operation, Call call) {
    if (hooks_.before) {
      if (absl::Status refused = hooks_.before(ctx); !refused.ok()) return refused;
    }
    const absl::Time start = absl::Now();
    absl::StatusOr<T> result = call();
    if (hooks_.after) hooks_.after(operation, absl::Now() - start, result.status());
    return result;
  }

  const std::unique_ptr<storage::Database> database_;
  const Hooks hooks_;
  std::atomic<int64_t> open_cursors_{0};
};

}  // namespace baton::runtime

#endif  // BATON_COMMON_RUNTIME_HOOKED_DATABASE_H_
