#include "tests/testing/order_load.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace baton::testing {
namespace {

// Every stored order of `customer` (as the suite's identity), read straight from
// orders page by page; nullopt if a page cannot be read.
std::optional<std::vector<orders::v1::Order>> StoredOrders(ShopSuite& suite,
                                                           const std::string& customer) {
  std::vector<orders::v1::Order> all;
  orders::v1::ListOrdersRequest request;
  request.set_customer(customer);
  request.set_page_size(100);
  for (int page = 0; page < 10000; ++page) {
    grpc::ClientContext call;
    call.AddMetadata("x-baton-identity", "tester");
    call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    orders::v1::ListOrdersResponse response;
    grpc::Status status = suite.orders().ListOrders(&call, request, &response);
    if (!status.ok()) {
      ADD_FAILURE() << "ListOrders: " << status.error_message();
      return std::nullopt;
    }
    for (const orders::v1::Order& order : response.orders()) all.push_back(order);
    if (response.next_page_token().empty()) return all;
    request.set_page_token(response.next_page_token());
  }
  return std::nullopt;
}

}  // namespace

OrderLoad::OrderLoad(ShopSuite& suite, Options options) : suite_(suite), options_(options) {
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this, i] { Run(i); });
}

void OrderLoad::Run(int thread) {
  for (int64_t n = 0; !stop_.load(); ++n) {
    const int64_t quantity = 1 + (n + thread) % 3;
    auto call = suite_.ShopCall(
        options_.deadline,
        {{"x-request-id", absl::StrCat(options_.customer, "-", thread, "-", n)}});
    const absl::Time deadline = absl::Now() + options_.deadline;
    orders::v1::Order order;
    grpc::Status status = suite_.shop().PlaceOrder(
        call.get(), OrderOf(options_.customer, {{options_.sku, quantity}}), &order);
    const absl::Duration overrun = absl::Now() - deadline;
    absl::MutexLock lock(&mu_);
    ++outcomes_[status.error_code()];
    longest_overrun_ = std::max(longest_overrun_, overrun);
    if (status.ok()) {
      acked_.push_back({order.order_id(), quantity});
      acked_count_.fetch_add(1);
    } else if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      // A client backs off when the service is away; so do these, briefly.
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
}

bool OrderLoad::AwaitMoreAcked(int more, absl::Duration timeout) const {
  const int64_t target = acked_count_.load() + more;
  const absl::Time give_up = absl::Now() + timeout;
  while (acked_count_.load() < target) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

void OrderLoad::Stop() {
  stop_.store(true);
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

std::vector<OrderLoad::Acked> OrderLoad::acked() const {
  absl::MutexLock lock(&mu_);
  return acked_;
}

std::map<grpc::StatusCode, int> OrderLoad::outcomes() const {
  absl::MutexLock lock(&mu_);
  return outcomes_;
}

absl::Duration OrderLoad::longest_overrun() const {
  absl::MutexLock lock(&mu_);
  return longest_overrun_;
}

absl::StatusOr<inventory::v1::Stock> AwaitNothingReserved(ShopSuite& suite,
                                                          const std::string& sku,
                                                          absl::Duration timeout) {
  absl::StatusOr<inventory::v1::Stock> stock;
  const absl::Time give_up = absl::Now() + timeout;
  while ((stock = suite.Stock(sku)).ok() && stock->reserved() != 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  return stock;
}

void ExpectStockAccountedFor(ShopSuite& suite, const std::string& sku, int64_t initial,
                             const std::string& customer,
                             const std::vector<OrderLoad::Acked>& acked) {
  // Bounded well beyond the release window.
  absl::StatusOr<inventory::v1::Stock> stock = AwaitNothingReserved(suite, sku, absl::Seconds(60));
  ASSERT_TRUE(stock.ok()) << stock.status();
  EXPECT_EQ(stock->reserved(), 0) << "reservations left held beyond the release window";
  EXPECT_EQ(stock->available() + stock->reserved() + stock->committed(), initial)
      << "available " << stock->available() << ", reserved " << stock->reserved()
      << ", committed " << stock->committed();

  std::optional<std::vector<orders::v1::Order>> stored = StoredOrders(suite, customer);
  ASSERT_TRUE(stored.has_value());
  std::map<std::string, int> times_stored;
  std::set<std::string> request_ids;
  int64_t units_in_orders = 0;
  for (const orders::v1::Order& order : *stored) {
    ++times_stored[order.order_id()];
    EXPECT_TRUE(request_ids.insert(order.request_id()).second)
        << "two orders stored for request " << order.request_id();
    for (const orders::v1::OrderLine& line : order.lines()) {
      if (line.sku() == sku) units_in_orders += line.quantity();
    }
  }
  for (const OrderLoad::Acked& order : acked) {
    EXPECT_EQ(times_stored[order.order_id], 1) << "acknowledged order " << order.order_id;
  }
  EXPECT_EQ(units_in_orders, stock->committed());
}

}  // namespace baton::testing
