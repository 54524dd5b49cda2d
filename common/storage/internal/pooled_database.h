// PooledDatabase<Conn>: a Database over a bounded pool of connections of one backend.
//
// Internal to common/storage. The backend supplies the connection type (a Connection
// with `bool healthy() const` and `bool in_transaction() const`), how to open one
// within a Context, and its "begin
// transaction" statement. The pool:
//   - hands out an idle connection, opens one while below the bound, or waits for one
//     for as long as the Context allows (its end wakes the wait);
//   - takes back only healthy connections: a broken one is closed, and the next
//     caller opens a fresh one.
// Transaction(): begin; body; commit on OK with the Context live; otherwise roll back
// on a detached Context of its own (the request may be gone, the rollback must run) —
// or, on a connection that broke midway, let closing it roll the transaction back.
#ifndef BATON_COMMON_STORAGE_INTERNAL_POOLED_DATABASE_H_
#define BATON_COMMON_STORAGE_INTERNAL_POOLED_DATABASE_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/storage/database.h"

namespace baton::storage::internal {

template <typename Conn>
class PooledDatabase final : public Database {
 public:
  using Opener = std::function<absl::StatusOr<std::unique_ptr<Conn>>(const Context&)>;

  PooledDatabase(int size, Opener open, std::string begin_statement)
      : size_(size < 1 ? 1 : size),
        open_(std::move(open)),
        begin_(std::move(begin_statement)) {}

  // Takes a first connection, opened by the caller to check the target works.
  void Adopt(std::unique_ptr<Conn> connection) {
    absl::MutexLock lock(&mu_);
    ++opened_;
    idle_.push_back(std::move(connection));
  }

  absl::StatusOr<std::vector<Row>> Query(const Context& ctx, std::string_view sql,
                                         const std::vector<Value>& params = {}) override {
    absl::StatusOr<Lease> lease = Acquire(ctx);
    if (!lease.ok()) return lease.status();
    return (*lease)->Query(ctx, sql, params);
  }

  absl::StatusOr<int64_t> Execute(const Context& ctx, std::string_view sql,
                                  const std::vector<Value>& params = {}) override {
    absl::StatusOr<Lease> lease = Acquire(ctx);
    if (!lease.ok()) return lease.status();
    return (*lease)->Execute(ctx, sql, params);
  }

  absl::Status QueryEach(const Context& ctx, std::string_view sql,
                         const std::vector<Value>& params,
                         absl::FunctionRef<absl::Status(Row&&)> on_row) override {
    absl::StatusOr<Lease> lease = Acquire(ctx);
    if (!lease.ok()) return lease.status();
    return (*lease)->QueryEach(ctx, sql, params, on_row);
  }

  absl::Status Transaction(const Context& ctx,
                           absl::FunctionRef<absl::Status(Connection&)> body) override {
    absl::StatusOr<Lease> lease = Acquire(ctx);
    if (!lease.ok()) return lease.status();
    Conn& connection = **lease;
    absl::Status status = connection.Execute(ctx, begin_, {}).status();
    if (!status.ok()) {
      // A failed begin may still have opened the transaction (e.g. cancelled late).
      RollBack(ctx, connection).IgnoreError();
      return status;
    }
    status = body(connection);
    if (status.ok() && ctx.IsDone()) status = Cause(ctx);
    if (status.ok()) {
      status = connection.Execute(ctx, "COMMIT", {}).status();
      if (status.ok()) return status;
    }
    absl::Status rollback = RollBack(ctx, connection);
    if (!rollback.ok()) {
      return absl::InternalError(absl::StrCat(status.message(),
                                              "; and the rollback failed: ", rollback.message()));
    }
    return status;
  }

 private:
  // A pooled connection, returned to the pool (if still healthy) when the lease ends.
  class Lease {
   public:
    Lease(PooledDatabase* pool, std::unique_ptr<Conn> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept
        : pool_(other.pool_), connection_(std::move(other.connection_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (connection_ != nullptr) pool_->Return(std::move(connection_));
    }
    Conn& operator*() { return *connection_; }
    Conn* operator->() { return connection_.get(); }

   private:
    PooledDatabase* pool_;
    std::unique_ptr<Conn> connection_;
  };

  static absl::Status RollBack(const Context& ctx, Conn& connection) {
    // A broken connection is closed, not reused, and closing one ends its transaction:
    // the server rolls it back.
    if (!connection.healthy()) return absl::OkStatus();
    // Nothing to roll back: the backend ended the transaction itself (SQLite does so
    // when it interrupts a write).
    if (!connection.in_transaction()) return absl::OkStatus();
    auto [cleanup, cancel] = WithTimeout(WithoutCancel(ctx), absl::Seconds(5));
    return connection.Execute(cleanup, "ROLLBACK", {}).status();
  }

  absl::StatusOr<Lease> Acquire(const Context& ctx) {
    for (;;) {
      bool may_open = false;
      {
        absl::MutexLock lock(&mu_);
        if (!idle_.empty()) {
          Lease lease(this, std::move(idle_.back()));
          idle_.pop_back();
          return lease;
        }
        if (opened_ < size_) {
          ++opened_;
          may_open = true;
        }
      }
      if (may_open) {
        absl::StatusOr<std::unique_ptr<Conn>> opened = open_(ctx);
        if (!opened.ok()) {
          absl::MutexLock lock(&mu_);
          --opened_;
          return opened.status();
        }
        return Lease(this, *std::move(opened));
      }
      // Every connection is busy. The Context's end wakes the wait; the AfterFunc is
      // registered without mu_ held, since on a done Context it runs at once.
      AfterFuncHandle wake = AfterFunc(ctx, [this] {
        absl::MutexLock lock(&mu_);
        ++wakeups_;
      });
      {
        absl::MutexLock lock(&mu_);
        struct Ready {
          PooledDatabase* self;
          const Context* ctx;
        } ready{this, &ctx};
        mu_.Await(absl::Condition(
            +[](Ready* r) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              return !r->self->idle_.empty() || r->self->opened_ < r->self->size_ ||
                     r->ctx->IsDone();
            },
            &ready));
      }
      wake.Stop();
      if (ctx.IsDone()) return Cause(ctx);
      // A connection came back, or a broken one was dropped: try again.
    }
  }

  void Return(std::unique_ptr<Conn> connection) {
    if (!connection->healthy()) {
      connection.reset();  // Closed, not reused; the next caller opens a fresh one.
      absl::MutexLock lock(&mu_);
      --opened_;
      return;
    }
    absl::MutexLock lock(&mu_);
    idle_.push_back(std::move(connection));
  }

  const int size_;
  const Opener open_;
  const std::string begin_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Conn>> idle_ ABSL_GUARDED_BY(mu_);
  int opened_ ABSL_GUARDED_BY(mu_) = 0;
  int wakeups_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace baton::storage::internal

#endif  // BATON_COMMON_STORAGE_INTERNAL_POOLED_DATABASE_H_
