#include "tests/testing/shop_suite.h"

#include <signal.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "tests/testing/http_get.h"
#include "tests/testing/log_lines.h"

namespace baton::testing {
namespace {

// Generous: sanitizer builds start slowly on a loaded 2-core machine.
constexpr absl::Duration kStartTimeout = absl::Seconds(60);

std::string TempRoot() {
  const char* root = std::getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(root != nullptr ? root : "/tmp", "/shop-XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) return "/tmp";
  return dir;
}

}  // namespace

std::string RunfilePath(const std::string& relative) {
  const char* root = std::getenv("TEST_SRCDIR");
  return absl::StrCat(root != nullptr ? root : ".", "/baton/", relative);
}

orders::v1::PlaceOrderRequest OrderOf(const std::string& customer,
                                      const std::vector<std::pair<std::string, int64_t>>& items) {
  orders::v1::PlaceOrderRequest request;
  request.set_customer(customer);
  for (const auto& [sku, quantity] : items) {
    inventory::v1::LineItem* item = request.add_items();
    item->set_sku(sku);
    item->set_quantity(quantity);
  }
  return request;
}

absl::StatusOr<std::unique_ptr<ShopSuite>> ShopSuite::Start(Options options) {
  auto suite = std::make_unique<ShopSuite>(Key());
  suite->dir_ = TempRoot();
  for (const char* name : {"catalog", "inventory"}) {
    if (absl::Status s = suite->StartService(name, {}, options); !s.ok()) return s;
  }
  const std::vector<std::string> backends = {
      "--catalog_address=" + suite->addresses_["catalog"],
      "--inventory_address=" + suite->addresses_["inventory"]};
  if (absl::Status s = suite->StartService("orders", backends, options); !s.ok()) return s;

  const std::string gateway_db = suite->StorageFlag("gateway", options);
  absl::StatusOr<std::string> key = ChildProcess::Output(
      {RunfilePath("services/gateway/gateway"), gateway_db, "--create_api_key=tester"},
      kStartTimeout);
  if (!key.ok()) return key.status();
  suite->api_key_ = std::string(absl::StripAsciiWhitespace(*key));
  std::vector<std::string> gateway_flags = backends;
  gateway_flags.push_back("--orders_address=" + suite->addresses_["orders"]);
  if (absl::Status s = suite->StartService("gateway", gateway_flags, options); !s.ok()) return s;

  auto channel = [](const std::string& address) {
    return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  };
  suite->shop_ = shop::v1::ShopService::NewStub(channel(suite->addresses_["gateway"]));
  suite->catalog_ = catalog::v1::CatalogService::NewStub(channel(suite->addresses_["catalog"]));
  suite->inventory_ =
      inventory::v1::InventoryService::NewStub(channel(suite->addresses_["inventory"]));
  suite->orders_ = orders::v1::OrdersService::NewStub(channel(suite->addresses_["orders"]));
  return suite;
}

std::string ShopSuite::StorageFlag(const std::string& name, const Options& options) const {
  auto url = options.storage.find(name);
  if (url != options.storage.end()) return "--storage=" + url->second;
  return "--storage=sqlite://" + DatabasePath(name);
}

absl::Status ShopSuite::StartService(const std::string& name, std::vector<std::string> flags,
                                     const Options& options) {
  const std::string port_file = absl::StrCat(dir_, "/", name, ".port");
  const std::string metrics_port_file = absl::StrCat(dir_, "/", name, ".metrics-port");
  std::vector<std::string> argv = {RunfilePath(absl::StrCat("services/", name, "/", name)),
                                   "--listen=127.0.0.1:0",
                                   "--port_file=" + port_file,
                                   "--metrics_listen=127.0.0.1:0",
                                   "--metrics_port_file=" + metrics_port_file,
                                   StorageFlag(name, options)};
  if (options.fault_injection) argv.push_back("--enable_fault_injection");
  argv.insert(argv.end(), options.common_flags.begin(), options.common_flags.end());
  argv.insert(argv.end(), flags.begin(), flags.end());
  if (auto extra = options.flags.find(name); extra != options.flags.end()) {
    argv.insert(argv.end(), extra->second.begin(), extra->second.end());
  }
  return Launch(name, argv);
}

absl::Status ShopSuite::Launch(const std::string& name, const std::vector<std::string>& argv) {
  const std::string port_file = absl::StrCat(dir_, "/", name, ".port");
  const std::string metrics_port_file = absl::StrCat(dir_, "/", name, ".metrics-port");
  std::remove(port_file.c_str());
  std::remove(metrics_port_file.c_str());
  absl::StatusOr<ChildProcess> process =
      ChildProcess::Start(argv, absl::StrCat(dir_, "/", name, ".log"));
  if (!process.ok()) return process.status();
  processes_.erase(name);
  auto [it, inserted] = processes_.emplace(name, *std::move(process));
  argv_[name] = argv;
  absl::StatusOr<int> port = WaitForPortFile(port_file, it->second, kStartTimeout);
  if (!port.ok()) {
    return absl::Status(port.status().code(), absl::StrCat(name, ": ", port.status().message()));
  }
  addresses_[name] = absl::StrCat("127.0.0.1:", *port);
  // Written before the gRPC port file, so it is there by now.
  absl::StatusOr<int> metrics = WaitForPortFile(metrics_port_file, it->second, kStartTimeout);
  if (!metrics.ok()) return metrics.status();
  metrics_ports_[name] = *metrics;
  return absl::OkStatus();
}

absl::Status ShopSuite::Restart(const std::string& service) {
  ChildProcess& old = processes_.at(service);
  if (old.running()) {
    old.Signal(SIGKILL);
    old.WaitFor(absl::Seconds(15));
  }
  std::vector<std::string> argv = argv_.at(service);
  for (std::string& arg : argv) {
    if (arg == "--listen=127.0.0.1:0") arg = "--listen=" + addresses_.at(service);
  }
  return Launch(service, argv);
}

ShopSuite::~ShopSuite() {
  // Front to back, so no service outlives the one calling it by much.
  for (const char* name : {"gateway", "orders", "inventory", "catalog"}) {
    auto it = processes_.find(name);
    if (it == processes_.end() || !it->second.running()) continue;
    it->second.Signal(SIGTERM);
    it->second.WaitFor(absl::Seconds(15));
  }
}

double ShopSuite::Metric(const std::string& service, const std::string& series) const {
  absl::StatusOr<HttpResponse> response = HttpGet(metrics_ports_.at(service), "/metrics");
  if (!response.ok()) return -1;
  for (absl::string_view line : absl::StrSplit(response->body, '\n')) {
    if (absl::StartsWith(line, series + " ")) {
      double value = -1;
      return absl::SimpleAtod(line.substr(series.size() + 1), &value) ? value : -1;
    }
  }
  return -1;
}

bool ShopSuite::AwaitMetric(const std::string& service, const std::string& series,
                            absl::FunctionRef<bool(double)> holds) const {
  const absl::Time give_up = absl::Now() + kStartTimeout;
  while (absl::Now() < give_up) {
    if (holds(Metric(service, series))) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

bool ShopSuite::AwaitMetricAtLeast(const std::string& service, const std::string& series,
                                   double value) const {
  return AwaitMetric(service, series, [value](double now) { return now >= value; });
}

bool ShopSuite::AwaitMetricAtMost(const std::string& service, const std::string& series,
                                  double value) const {
  // A failed scrape reads -1: not "at most", whatever `value` is.
  return AwaitMetric(service, series, [value](double now) { return now >= 0 && now <= value; });
}

std::string ShopSuite::Log(const std::string& service) const {
  return ReadFile(absl::StrCat(dir_, "/", service, ".log"));
}

std::string ShopSuite::AwaitLogLine(const std::string& service, const std::string& method,
                                    const std::string& request_id) const {
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  std::string line;
  while ((line = LogLine(Log(service), method, request_id)).empty() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  return line;
}

bool ShopSuite::AwaitLogText(const std::string& service, const std::string& text) const {
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!absl::StrContains(Log(service), text)) {
    if (absl::Now() >= give_up) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

std::unique_ptr<grpc::ClientContext> ShopSuite::ShopCall(
    absl::Duration deadline,
    const std::vector<std::pair<std::string, std::string>>& headers) const {
  auto call = std::make_unique<grpc::ClientContext>();
  call->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  call->AddMetadata("x-api-key", api_key_);
  for (const auto& [name, value] : headers) call->AddMetadata(name, value);
  return call;
}

absl::Status ShopSuite::AddProduct(const std::string& sku, int64_t price_cents, int64_t stock) {
  catalog::v1::UpsertProductRequest upsert;
  upsert.mutable_product()->set_sku(sku);
  upsert.mutable_product()->set_name("Product " + sku);
  upsert.mutable_product()->set_price_cents(price_cents);
  catalog::v1::Product product;
  grpc::ClientContext upsert_call;
  upsert_call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::Status status = catalog_->UpsertProduct(&upsert_call, upsert, &product);
  if (!status.ok()) return absl::InternalError("UpsertProduct: " + status.error_message());
  return SetStock(sku, stock);
}

absl::Status ShopSuite::SetStock(const std::string& sku, int64_t available) {
  inventory::v1::SetStockRequest set;
  set.set_sku(sku);
  set.set_available(available);
  inventory::v1::Stock result;
  grpc::ClientContext call;
  call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::Status status = inventory_->SetStock(&call, set, &result);
  if (!status.ok()) return absl::InternalError("SetStock: " + status.error_message());
  return absl::OkStatus();
}

absl::Status ShopSuite::WarmUp() {
  if (absl::Status added = AddProduct("warm-up", 1, 1000000); !added.ok()) return added;
  auto call = ShopCall(absl::Seconds(30));
  orders::v1::Order order;
  grpc::Status status = shop_->PlaceOrder(call.get(), OrderOf("warm-up", {{"warm-up", 1}}), &order);
  if (!status.ok()) return absl::InternalError("warm-up order: " + status.error_message());
  return absl::OkStatus();
}

int64_t ShopSuite::Available(const std::string& sku) {
  absl::StatusOr<inventory::v1::Stock> stock = Stock(sku);
  return stock.ok() ? stock->available() : -1;
}

absl::StatusOr<inventory::v1::Stock> ShopSuite::Stock(const std::string& sku) {
  inventory::v1::GetStockRequest request;
  request.set_sku(sku);
  inventory::v1::Stock stock;
  grpc::ClientContext call;
  call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::Status status = inventory_->GetStock(&call, request, &stock);
  if (!status.ok()) return absl::UnavailableError("GetStock: " + status.error_message());
  return stock;
}

std::string ShopSuite::DatabasePath(const std::string& service) const {
  return absl::StrCat(dir_, "/", service, ".db");
}

}  // namespace baton::testing
