// What grpcurl (and any gRPC tool) relies on, on every service: the standard health
// protocol and server reflection that can describe every service, health included.
#include <memory>
#include <set>

#include "absl/strings/match.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/testing/http_get.h"
#include "tests/testing/suite_test.h"

namespace baton::testing {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using grpc::reflection::v1alpha::ServerReflection;
using grpc::reflection::v1alpha::ServerReflectionRequest;
using grpc::reflection::v1alpha::ServerReflectionResponse;

using ProtocolSurfaceTest = SuiteTest;

const std::pair<const char*, const char*> kServices[] = {
    {"catalog", "baton.catalog.v1.CatalogService"},
    {"inventory", "baton.inventory.v1.InventoryService"},
    {"orders", "baton.orders.v1.OrdersService"},
    {"gateway", "baton.shop.v1.ShopService"},
};

std::shared_ptr<grpc::Channel> ChannelTo(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

TEST_F(ProtocolSurfaceTest, HealthCheckAnswersForServerAndService) {
  for (const auto& [name, full_name] : kServices) {
    auto health = grpc::health::v1::Health::NewStub(ChannelTo(suite().address(name)));
    for (const std::string& service : {std::string(), std::string(full_name)}) {
      grpc::ClientContext call;
      HealthCheckRequest request;
      request.set_service(service);
      HealthCheckResponse response;
      grpc::Status status = health->Check(&call, request, &response);
      ASSERT_TRUE(status.ok()) << name << " " << service << ": " << status.error_message();
      EXPECT_EQ(response.status(), HealthCheckResponse::SERVING) << name;
    }
    grpc::ClientContext call;
    HealthCheckRequest request;
    request.set_service("no.such.Service");
    HealthCheckResponse response;
    EXPECT_EQ(health->Check(&call, request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
  }
}

// One request on a reflection stream, as grpcurl sends them.
ServerReflectionResponse Reflect(ServerReflection::Stub& stub,
                                 const ServerReflectionRequest& request) {
  grpc::ClientContext call;
  auto stream = stub.ServerReflectionInfo(&call);
  ServerReflectionResponse response;
  EXPECT_TRUE(stream->Write(request));
  stream->WritesDone();
  EXPECT_TRUE(stream->Read(&response));
  EXPECT_TRUE(stream->Finish().ok());
  return response;
}

TEST_F(ProtocolSurfaceTest, ReflectionListsAndDescribesEveryService) {
  for (const auto& [name, full_name] : kServices) {
    auto reflection = ServerReflection::NewStub(ChannelTo(suite().address(name)));
    ServerReflectionRequest list;
    list.set_list_services("*");
    ServerReflectionResponse listed = Reflect(*reflection, list);
    std::set<std::string> services;
    for (const auto& service : listed.list_services_response().service()) {
      services.insert(service.name());
    }
    EXPECT_TRUE(services.count(full_name)) << name;
    EXPECT_TRUE(services.count("grpc.health.v1.Health")) << name;
    EXPECT_TRUE(services.count("grpc.reflection.v1alpha.ServerReflection")) << name;

    // `grpcurl describe` of each: the file holding the symbol, with its dependencies.
    for (const std::string& symbol :
         {std::string(full_name), std::string("grpc.health.v1.Health")}) {
      ServerReflectionRequest describe;
      describe.set_file_containing_symbol(symbol);
      ServerReflectionResponse described = Reflect(*reflection, describe);
      EXPECT_FALSE(described.has_error_response())
          << name << " " << symbol << ": " << described.error_response().error_message();
      EXPECT_GT(described.file_descriptor_response().file_descriptor_proto_size(), 0)
          << name << " " << symbol;
    }
  }
}

TEST_F(ProtocolSurfaceTest, GatewayDescribesTheMessagesItsMethodsUse) {
  auto reflection = ServerReflection::NewStub(ChannelTo(suite().address("gateway")));
  for (const char* file : {"baton/catalog/v1/catalog.proto", "baton/orders/v1/orders.proto",
                           "google/protobuf/timestamp.proto"}) {
    ServerReflectionRequest request;
    request.set_file_by_filename(file);
    ServerReflectionResponse response = Reflect(*reflection, request);
    EXPECT_FALSE(response.has_error_response()) << file;
  }
}

// A message or metadata beyond the limits (--max_message_bytes, --max_metadata_bytes)
// is refused with a status that says so, before any handler sees it; the service goes on.
TEST_F(ProtocolSurfaceTest, OversizedMessageAndMetadataAreRefused) {
  auto catalog = catalog::v1::CatalogService::NewStub(ChannelTo(suite().address("catalog")));
  catalog::v1::UpsertProductRequest big;
  big.mutable_product()->set_sku("too-big");
  big.mutable_product()->set_name(std::string(5 << 20, 'x'));
  catalog::v1::Product product;
  grpc::ClientContext big_call;
  big_call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::Status status = catalog->UpsertProduct(&big_call, big, &product);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), "larger than max"))
      << status.error_message();

  catalog::v1::GetProductRequest get;
  get.set_sku("warm-up");
  grpc::ClientContext loud_call;
  loud_call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  loud_call.AddMetadata("x-padding", std::string(32 << 10, 'p'));
  status = catalog->GetProduct(&loud_call, get, &product);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), "metadata size exceeds limit"))
      << status.error_message();

  // The service goes on. gRPC closes the connection that carried the oversized headers
  // (its header compression state is lost); a call racing that close fails with
  // "Socket closed", and the next one goes out on a new connection.
  for (int attempt = 0; attempt < 20; ++attempt) {
    grpc::ClientContext after;
    after.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    after.set_wait_for_ready(true);
    status = catalog->GetProduct(&after, get, &product);
    if (status.ok()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(absl::StrContains(suite().Log("catalog"), "too-big"));
}

TEST_F(ProtocolSurfaceTest, MetricsPortServesPrometheusTextAndHealthz) {
  ASSERT_TRUE(suite().AddProduct("metrics-tea", 100, 5).ok());
  auto call = suite().ShopCall(absl::Seconds(5));
  orders::v1::Order order;
  ASSERT_TRUE(
      suite().shop().PlaceOrder(call.get(), OrderOf("m", {{"metrics-tea", 1}}), &order).ok());
  for (const auto& [name, full_name] : kServices) {
    absl::StatusOr<HttpResponse> metrics = HttpGet(suite().metrics_port(name), "/metrics");
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    EXPECT_EQ(metrics->status, 200);
    EXPECT_EQ(metrics->content_type, "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_TRUE(absl::StrContains(metrics->body, "# TYPE baton_requests_total counter\n"));
    EXPECT_TRUE(
        absl::StrContains(metrics->body, "# TYPE baton_request_duration_seconds histogram\n"));
    EXPECT_TRUE(absl::StrContains(metrics->body, "baton_requests_in_flight "));
    absl::StatusOr<HttpResponse> healthz = HttpGet(suite().metrics_port(name), "/healthz");
    ASSERT_TRUE(healthz.ok());
    EXPECT_EQ(healthz->status, 200);
    absl::StatusOr<HttpResponse> missing = HttpGet(suite().metrics_port(name), "/nope");
    ASSERT_TRUE(missing.ok());
    EXPECT_EQ(missing->status, 404);
  }
  absl::StatusOr<HttpResponse> gateway = HttpGet(suite().metrics_port("gateway"), "/metrics");
  ASSERT_TRUE(gateway.ok());
  EXPECT_TRUE(
      absl::StrContains(gateway->body, "baton_requests_total{method=\"PlaceOrder\",code=\"OK\"}"))
      << gateway->body;
  absl::StatusOr<HttpResponse> inventory = HttpGet(suite().metrics_port("inventory"), "/metrics");
  ASSERT_TRUE(inventory.ok());
  EXPECT_TRUE(absl::StrContains(inventory->body,
                                "baton_storage_duration_seconds_count{operation=\"transaction\"}"))
      << inventory->body;
  absl::StatusOr<HttpResponse> post = HttpGet(suite().metrics_port("gateway"), "/metrics", "POST");
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(post->status, 405);
}

}  // namespace
}  // namespace baton::testing
