// A Database that applies the request's storage faults (fault_injection.h) before each
// call, then forwards to the real one. The runtime wraps a service's database in it
// when --enable_fault_injection is on; services cannot tell the difference.
//
// Thread safety: as the wrapped Database.
#ifndef BATON_COMMON_RUNTIME_FAULT_INJECTING_DATABASE_H_
#define BATON_COMMON_RUNTIME_FAULT_INJECTING_DATABASE_H_

#include <memory>
#include <string_view>
#include <vector>

#include "common/runtime/fault_injection.h"
#include "common/storage/database.h"

namespace baton::runtime {

class FaultInjectingDatabase final : public storage::Database {
 public:
  FaultInjectingDatabase(std::unique_ptr<storage::Database> database,
                         const FaultInjector* faults)
      : database_(std::move(database)), faults_(faults) {}

  absl::StatusOr<std::vector<storage::Row>> Query(
      const Context& ctx, std::string_view sql,
      const std::vector<storage::Value>& params) override {
    if (absl::Status fault = faults_->Inject(ctx, FaultPoint::kStorage); !fault.ok()) {
      return fault;
    }
    return database_->Query(ctx, sql, params);
  }

  absl::StatusOr<int64_t> Execute(const Context& ctx, std::string_view sql,
                                  const std::vector<storage::Value>& params) override {
    if (absl::Status fault = faults_->Inject(ctx, FaultPoint::kStorage); !fault.ok()) {
      return fault;
    }
    return database_->Execute(ctx, sql, params);
  }

  absl::Status Transaction(
      const Context& ctx,
      absl::FunctionRef<absl::Status(storage::Connection&)> body) override {
    if (absl::Status fault = faults_->Inject(ctx, FaultPoint::kStorage); !fault.ok()) {
      return fault;
    }
    return database_->Transaction(ctx, body);
  }

 private:
  const std::unique_ptr<storage::Database> database_;
  const FaultInjector* const faults_;
};

}  // namespace baton::runtime

#endif  // BATON_COMMON_RUNTIME_FAULT_INJECTING_DATABASE_H_
