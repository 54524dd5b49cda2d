// ShopSuite: the four service binaries started as separate processes on loopback for
// one test, each on a free port (--listen=127.0.0.1:0, --port_file) with its own
// SQLite file under the test's temporary directory, fault injection on, and an API key
// for identity "tester".
//
// The destructor stops every process still running (SIGTERM, then SIGKILL after the
// drain), so a failing test leaves nothing behind.
//
// Thread safety: the stubs are thread-safe; the rest belongs to the test's thread.
#ifndef BATON_TESTS_TESTING_SHOP_SUITE_H_
#define BATON_TESTS_TESTING_SHOP_SUITE_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "baton/catalog/v1/catalog.grpc.pb.h"
#include "baton/inventory/v1/inventory.grpc.pb.h"
#include "baton/orders/v1/orders.grpc.pb.h"
#include "baton/shop/v1/shop.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "tests/testing/child_process.h"

namespace baton::testing {

class ShopSuite {
 public:
  struct Options {
    bool fault_injection = true;
    // Extra flags per service name ("orders" → {"--drain_timeout=5s"}).
    std::map<std::string, std::vector<std::string>> flags = {};
    // Extra flags for all four.
    std::vector<std::string> common_flags = {};
    // Storage URL per service name; SQLite files in the test's directory otherwise.
    std::map<std::string, std::string> storage = {};
  };

  static absl::StatusOr<std::unique_ptr<ShopSuite>> Start(Options options);
  static absl::StatusOr<std::unique_ptr<ShopSuite>> Start() { return Start(Options{}); }

  // Only Start() can make the key: suites are made through it.
  class Key {
    friend class ShopSuite;
    Key() = default;
  };
  explicit ShopSuite(Key) {}
  ~ShopSuite();

  // "127.0.0.1:PORT" of catalog, inventory, orders or gateway.
  const std::string& address(const std::string& service) const { return addresses_.at(service); }
  ChildProcess& process(const std::string& service) { return processes_.at(service); }
  // Starts `service` again after it exited (or was killed: SIGKILL first if it still
  // runs), with the same flags, on the same gRPC port, so that its peers reconnect.
  absl::Status Restart(const std::string& service);
  // The service's metrics port (/metrics, /healthz).
  int metrics_port(const std::string& service) const { return metrics_ports_.at(service); }
  // A sample of the service's /metrics: the value of the line starting with `series`
  // (e.g. "baton_requests_in_flight"), or -1.
  double Metric(const std::string& service, const std::string& series) const;
  // Wait (up to 60 s) until `series` on `service` is at least / at most `value`.
  bool AwaitMetricAtLeast(const std::string& service, const std::string& series,
                          double value) const;
  bool AwaitMetricAtMost(const std::string& service, const std::string& series,
                         double value) const;
  // What the service has written to stderr so far (its JSON log lines).
  std::string Log(const std::string& service) const;
  // Waits (up to 10 s) for the request-log line of `method` for `request_id` in
  // `service`'s log: it is written when the request ends, which may be after its caller
  // has moved on. "" if it did not come.
  std::string AwaitLogLine(const std::string& service, const std::string& method,
                           const std::string& request_id) const;
  // Waits (up to 10 s) until `text` appears in `service`'s log: for lines a service
  // writes on its own time (a background job's event). Whether it came.
  bool AwaitLogText(const std::string& service, const std::string& text) const;
  const std::string& api_key() const { return api_key_; }

  shop::v1::ShopService::Stub& shop() { return *shop_; }
  catalog::v1::CatalogService::Stub& catalog() { return *catalog_; }
  inventory::v1::InventoryService::Stub& inventory() { return *inventory_; }
  orders::v1::OrdersService::Stub& orders() { return *orders_; }

  // A ClientContext for the gateway: the API key, a deadline, and `headers`.
  std::unique_ptr<grpc::ClientContext> ShopCall(
      absl::Duration deadline,
      const std::vector<std::pair<std::string, std::string>>& headers = {}) const;

  // Creates (or replaces) a product with stock, directly in catalog and inventory.
  absl::Status AddProduct(const std::string& sku, int64_t price_cents, int64_t stock);
  // Sets the available units of `sku`, directly in inventory.
  absl::Status SetStock(const std::string& sku, int64_t available);
  // Places one order through the gateway, so that every connection between the
  // services is up before a test measures anything against a short deadline.
  absl::Status WarmUp();
  // Available units of `sku`, from inventory; -1 if the call failed.
  int64_t Available(const std::string& sku);
  // The whole stock record of `sku`, from inventory.
  absl::StatusOr<inventory::v1::Stock> Stock(const std::string& sku);
  // The file a service keeps its SQLite database in (when on the default storage).
  std::string DatabasePath(const std::string& service) const;

 private:
  // Polls the metric until `holds` of its value, or the start timeout; whether it did.
  bool AwaitMetric(const std::string& service, const std::string& series,
                   absl::FunctionRef<bool(double)> holds) const;
  std::string StorageFlag(const std::string& name, const Options& options) const;
  absl::Status StartService(const std::string& name, std::vector<std::string> flags,
                            const Options& options);
  absl::Status Launch(const std::string& name, const std::vector<std::string>& argv);

  std::string dir_;
  std::map<std::string, std::string> addresses_;
  std::map<std::string, int> metrics_ports_;
  std::map<std::string, ChildProcess> processes_;
  std::map<std::string, std::vector<std::string>> argv_;
  std::string api_key_;
  std::unique_ptr<shop::v1::ShopService::Stub> shop_;
  std::unique_ptr<catalog::v1::CatalogService::Stub> catalog_;
  std::unique_ptr<inventory::v1::InventoryService::Stub> inventory_;
  std::unique_ptr<orders::v1::OrdersService::Stub> orders_;
};

// A PlaceOrderRequest for `customer` with (sku, quantity) items.
orders::v1::PlaceOrderRequest OrderOf(const std::string& customer,
                                      const std::vector<std::pair<std::string, int64_t>>& items);

// Path of a binary of this workspace in the test's runfiles ("services/orders/orders").
std::string RunfilePath(const std::string& relative);

}  // namespace baton::testing

#endif  // BATON_TESTS_TESTING_SHOP_SUITE_H_
