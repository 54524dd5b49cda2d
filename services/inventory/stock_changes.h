// StockChanges: tells the stock watchers of this process (WatchStock streams) that
// stock changed, so that they look again — push, not polling.
//
// A version number that every committed change of stock increments. A watcher
// remembers the version it has seen and waits for a newer one, or for its Context to
// end, whichever comes first; it then reads the stock it watches and sends what
// differs from what it sent last. Changes that come while it reads are not lost: the
// version it compares with is the one taken before reading.
//
// Thread safety: every method may be called from any thread.
#ifndef BATON_SERVICES_INVENTORY_STOCK_CHANGES_H_
#define BATON_SERVICES_INVENTORY_STOCK_CHANGES_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/context/context.h"

namespace baton::inventory {

class StockChanges {
 public:
  // After a change of stock has committed.
  void Publish();
  uint64_t version() const;
  // Waits until the version is past `seen` (OK: `seen` is updated to it), or until
  // `ctx` is done (its cause).
  absl::Status Await(const Context& ctx, uint64_t& seen);

 private:
  mutable absl::Mutex mu_;
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace baton::inventory

#endif  // BATON_SERVICES_INVENTORY_STOCK_CHANGES_H_
