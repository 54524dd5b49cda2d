// The whole shop through its public API: place an order, read it back, see the stock
// go down; and every kind of bad request answered with a clear status.
#include <memory>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/testing/suite_test.h"

namespace baton::testing {
namespace {

using OrderFlowTest = SuiteTest;

TEST_F(OrderFlowTest, PlacedOrderReadsBackAndStockGoesDown) {
  ASSERT_TRUE(suite().AddProduct("flow-tea", 650, 10).ok());
  ASSERT_TRUE(suite().AddProduct("flow-mug", 1200, 5).ok());

  auto call = suite().ShopCall(absl::Seconds(5), {{"x-request-id", "flow-order-1"}});
  orders::v1::Order order;
  grpc::Status status = suite().shop().PlaceOrder(
      call.get(), OrderOf("ada", {{"flow-tea", 3}, {"flow-mug", 1}}), &order);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(order.order_id().empty());
  EXPECT_EQ(order.customer(), "ada");
  EXPECT_EQ(order.request_id(), "flow-order-1");
  EXPECT_EQ(order.total_cents(), 3 * 650 + 1200);
  ASSERT_EQ(order.lines_size(), 2);
  EXPECT_GT(order.create_time().seconds(), 0);

  // Every hop left its budget in the trail, caller first.
  auto trail = call->GetServerTrailingMetadata().find("x-baton-budget-trail");
  ASSERT_NE(trail, call->GetServerTrailingMetadata().end());
  const std::string trail_text(trail->second.data(), trail->second.size());
  EXPECT_TRUE(absl::StartsWith(trail_text, "gateway=")) << trail_text;
  EXPECT_TRUE(absl::StrContains(trail_text, "orders=")) << trail_text;
  EXPECT_TRUE(absl::StrContains(trail_text, "inventory=")) << trail_text;
  EXPECT_TRUE(absl::StrContains(trail_text, "catalog=")) << trail_text;

  orders::v1::GetOrderRequest get;
  get.set_order_id(order.order_id());
  orders::v1::Order read;
  auto get_call = suite().ShopCall(absl::Seconds(5));
  status = suite().shop().GetOrder(get_call.get(), get, &read);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(read.SerializeAsString(), order.SerializeAsString());

  EXPECT_EQ(suite().Available("flow-tea"), 7);
  EXPECT_EQ(suite().Available("flow-mug"), 4);
  inventory::v1::GetStockRequest stock_request;
  stock_request.set_sku("flow-tea");
  inventory::v1::Stock stock;
  grpc::ClientContext stock_call;
  ASSERT_TRUE(suite().inventory().GetStock(&stock_call, stock_request, &stock).ok());
  EXPECT_EQ(stock.reserved(), 0);  // Committed with the order, no longer held.

  shop::v1::GetProductRequest product_request;
  product_request.set_sku("flow-tea");
  shop::v1::ProductWithStock product;
  auto product_call = suite().ShopCall(absl::Seconds(5));
  status = suite().shop().GetProduct(product_call.get(), product_request, &product);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(product.product().price_cents(), 650);
  EXPECT_EQ(product.available(), 7);

  // The identity the gateway authenticated reached orders.
  EXPECT_TRUE(absl::StrContains(suite().Log("orders"), "\"identity\":\"tester\""));
}

// A service that cuts a call off (CANCELLED that nobody upstream asked for: a server
// shutting down resets its streams) is reported to the caller as unavailable, not as
// the caller's own cancel.
TEST_F(OrderFlowTest, DownstreamCutOffIsUnavailableNotCancelled) {
  ASSERT_TRUE(suite().AddProduct("cutoff-tea", 100, 10).ok());
  auto call = suite().ShopCall(absl::Seconds(10), {{"x-baton-fault", "inventory=fail:CANCELLED"}});
  orders::v1::Order order;
  grpc::Status status =
      suite().shop().PlaceOrder(call.get(), OrderOf("cutoff", {{"cutoff-tea", 1}}), &order);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("inventory.Reserve cut the call off"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(suite().Available("cutoff-tea"), 10);
}

TEST_F(OrderFlowTest, ListProductsPagesThroughTheCatalog) {
  for (const char* sku : {"page-a", "page-b", "page-c"}) {
    ASSERT_TRUE(suite().AddProduct(sku, 100, 1).ok());
  }
  catalog::v1::ListProductsRequest request;
  request.set_page_size(2);
  request.set_name_contains("PAGE-");
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    catalog::v1::ListProductsResponse response;
    auto call = suite().ShopCall(absl::Seconds(5));
    grpc::Status status = suite().shop().ListProducts(call.get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const auto& product : response.products()) seen.push_back(product.sku());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"page-a", "page-b", "page-c"}));
}

struct BadCase {
  const char* name;
  orders::v1::PlaceOrderRequest request;
  grpc::StatusCode code;
  const char* message_part;
};

TEST_F(OrderFlowTest, BadOrdersGetClearStatusesAndChangeNothing) {
  ASSERT_TRUE(suite().AddProduct("bad-tea", 500, 2).ok());
  const BadCase cases[] = {
      {"no items", OrderOf("ada", {}), grpc::StatusCode::INVALID_ARGUMENT, "items"},
      {"zero quantity", OrderOf("ada", {{"bad-tea", 0}}), grpc::StatusCode::INVALID_ARGUMENT,
       "items[0].quantity"},
      {"bad sku", OrderOf("ada", {{"no spaces", 1}}), grpc::StatusCode::INVALID_ARGUMENT,
       "items[0].sku"},
      {"twice", OrderOf("ada", {{"bad-tea", 1}, {"bad-tea", 1}}),
       grpc::StatusCode::INVALID_ARGUMENT, "listed twice"},
      {"no customer", OrderOf("", {{"bad-tea", 1}}), grpc::StatusCode::INVALID_ARGUMENT,
       "customer"},
      {"unknown product", OrderOf("ada", {{"bad-tea", 1}, {"no-such-sku", 1}}),
       grpc::StatusCode::NOT_FOUND, "no-such-sku"},
      {"too many", OrderOf("ada", {{"bad-tea", 3}}), grpc::StatusCode::FAILED_PRECONDITION,
       "not enough stock"},
  };
  for (const BadCase& bad : cases) {
    auto call = suite().ShopCall(absl::Seconds(5));
    orders::v1::Order order;
    grpc::Status status = suite().shop().PlaceOrder(call.get(), bad.request, &order);
    EXPECT_EQ(status.error_code(), bad.code) << bad.name << ": " << status.error_message();
    EXPECT_TRUE(absl::StrContains(status.error_message(), bad.message_part))
        << bad.name << ": " << status.error_message();
  }
  EXPECT_EQ(suite().Available("bad-tea"), 2);
}

TEST_F(OrderFlowTest, MissingOrWrongKeyIsUnauthenticated) {
  grpc::ClientContext no_key;
  orders::v1::Order order;
  grpc::Status status = suite().shop().PlaceOrder(&no_key, OrderOf("ada", {{"x", 1}}), &order);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "x-api-key"));

  grpc::ClientContext wrong_key;
  wrong_key.AddMetadata("x-api-key", "bk_guess");
  status = suite().shop().PlaceOrder(&wrong_key, OrderOf("ada", {{"x", 1}}), &order);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(OrderFlowTest, ClientCannotSpoofInternalHeaders) {
  ASSERT_TRUE(suite().AddProduct("spoof-tea", 100, 5).ok());
  auto call = suite().ShopCall(absl::Seconds(5),
                               {{"x-baton-identity", "mallory"}, {"x-baton-tenant", "other"}});
  orders::v1::Order order;
  grpc::Status status =
      suite().shop().PlaceOrder(call.get(), OrderOf("ada", {{"spoof-tea", 1}}), &order);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(absl::StrContains(suite().Log("orders"), "mallory"));
  EXPECT_TRUE(absl::StrContains(suite().Log("gateway"), "stripped:x-baton-identity"));
  // The order belongs to the key's identity, so that identity can read it.
  orders::v1::GetOrderRequest get;
  get.set_order_id(order.order_id());
  auto get_call = suite().ShopCall(absl::Seconds(5));
  EXPECT_TRUE(suite().shop().GetOrder(get_call.get(), get, &order).ok());
}

TEST_F(OrderFlowTest, AnotherIdentityCannotReadTheOrder) {
  ASSERT_TRUE(suite().AddProduct("own-tea", 100, 5).ok());
  auto call = suite().ShopCall(absl::Seconds(5));
  orders::v1::Order order;
  ASSERT_TRUE(suite().shop().PlaceOrder(call.get(), OrderOf("ada", {{"own-tea", 1}}), &order).ok());
  // Straight to orders (inside the mesh) as someone else.
  grpc::ClientContext other;
  other.AddMetadata("x-baton-identity", "someone-else");
  orders::v1::GetOrderRequest get;
  get.set_order_id(order.order_id());
  orders::v1::Order read;
  EXPECT_EQ(suite().orders().GetOrder(&other, get, &read).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace baton::testing
