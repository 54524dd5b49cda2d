// DeadlineCauses: the deadline causes of incoming calls, shared between calls that
// arrive with the same budget.
//
// Every incoming call's Context carries the Status it reports when its deadline passes
// ("the caller's deadline (998ms left on arrival) expired at orders"). It is needed on
// every call and read on few, and a Status with a message costs two allocations. Calls
// from one caller arrive with a handful of distinct budgets, so a small table of recent
// causes lets most calls share an existing one (a Status copy: a reference count).
//
// The table is direct-mapped by (source, budget in ms): a different budget that maps
// to the same slot replaces it. A cause is only ever returned for exactly the key it
// was made for. When budgets are spread wide (every call a different one), each call
// formats its own cause as it would without the table, plus two uncontended locks.
//
// Thread safety: Get may be called from any thread; each slot has its own lock, held
// only to compare and copy.
#ifndef BATON_COMMON_RPC_DEADLINE_CAUSES_H_
#define BATON_COMMON_RPC_DEADLINE_CAUSES_H_

#include <array>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace baton::rpc {

class DeadlineCauses {
 public:
  static constexpr size_t kSlots = 64;

  // Sources of deadlines: 0 to kSources - 1.
  static constexpr int kSources = 4;

  // The cause for a deadline from `source` (in [0, kSources): where the deadline came
  // from) with `budget_ms` left on arrival: a recent one made for the same key, else
  // `make()`, which is remembered. `make` must give the same cause for the same key
  // for the table's whole life (one table per service, whose name is in the message);
  // it runs without the table's locks, and two threads may run it for one key at once.
  absl::Status Get(int source, int64_t budget_ms, absl::FunctionRef<absl::Status()> make);

 private:
  struct Slot {
    absl::Mutex mu;
    bool used ABSL_GUARDED_BY(mu) = false;
    int source ABSL_GUARDED_BY(mu) = 0;
    int64_t budget_ms ABSL_GUARDED_BY(mu) = 0;
    absl::Status cause ABSL_GUARDED_BY(mu);
  };
  std::array<Slot, kSlots> slots_;
};

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_DEADLINE_CAUSES_H_
