// OrderLoad: clients placing orders through the gateway without pause, from a few
// threads, until stopped — the traffic the fault tests break things under. Every call
// has its own x-request-id and deadline; the load remembers which orders were
// acknowledged and how every call ended.
//
// ExpectStockAccountedFor: the ledger check after any fault sequence — every
// acknowledged order exists exactly once, no reservation is left held, and every unit
// of stock is available, or committed to a stored order.
//
// Thread safety: Stop() and the accessors belong to the test's thread.
#ifndef BATON_TESTS_TESTING_ORDER_LOAD_H_
#define BATON_TESTS_TESTING_ORDER_LOAD_H_

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"
#include "tests/testing/shop_suite.h"

namespace baton::testing {

class OrderLoad {
 public:
  struct Options {
    std::string sku;
    std::string customer;
    int threads = 4;
    absl::Duration deadline = absl::Seconds(2);
  };
  struct Acked {
    std::string order_id;
    int64_t quantity = 0;
  };

  // Starts the threads at once. `suite` must outlive this.
  OrderLoad(ShopSuite& suite, Options options);
  ~OrderLoad() { Stop(); }

  // Waits (up to `timeout`) until `more` calls beyond those acknowledged so far are.
  bool AwaitMoreAcked(int more, absl::Duration timeout) const;
  // Stops and joins the threads; idempotent.
  void Stop();

  std::vector<Acked> acked() const;
  // How many calls ended with each code.
  std::map<grpc::StatusCode, int> outcomes() const;
  // The longest time any call took past its own deadline (zero when none did).
  absl::Duration longest_overrun() const;

 private:
  void Run(int thread);

  ShopSuite& suite_;
  const Options options_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> acked_count_{0};
  mutable absl::Mutex mu_;
  std::vector<Acked> acked_ ABSL_GUARDED_BY(mu_);
  std::map<grpc::StatusCode, int> outcomes_ ABSL_GUARDED_BY(mu_);
  absl::Duration longest_overrun_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  std::vector<std::thread> threads_;
};

// Waits (at most `timeout`) until inventory holds no reservation of `sku`: reservations
// cut off by faults are settled by orders' reconciler within the release window (plus
// a reconcile interval). The stock as last read.
absl::StatusOr<inventory::v1::Stock> AwaitNothingReserved(ShopSuite& suite,
                                                          const std::string& sku,
                                                          absl::Duration timeout);

// Waits (bounded) until no unit of `sku` is reserved, then checks: available + committed
// == `initial`; every order in `acked` is stored exactly once among `customer`'s
// orders; and the units of `sku` in all of `customer`'s stored orders are the committed
// units (nothing sold without an order, no order without its stock).
void ExpectStockAccountedFor(ShopSuite& suite, const std::string& sku, int64_t initial,
                             const std::string& customer,
                             const std::vector<OrderLoad::Acked>& acked);

}  // namespace baton::testing

#endif  // BATON_TESTS_TESTING_ORDER_LOAD_H_
