// TLS and mTLS from the flags, end to end: certificates made here with openssl; catalog
// and inventory serve mTLS; orders serves mTLS and calls them over mTLS.
#include <signal.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/testing/child_process.h"
#include "tests/testing/shop_suite.h"

namespace baton::testing {
namespace {

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = std::string(tmp != nullptr ? tmp : "/tmp") + "/tls";
    ASSERT_EQ(system(("mkdir -p " + dir_).c_str()), 0);
    std::ofstream(dir_ + "/san.cnf") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    OpenSsl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", Path("ca.key"), "-out", Path("ca.pem"), "-days", "1", "-subj",
             "/CN=baton-test-ca"});
    for (const char* who : {"server", "client"}) {
      OpenSsl(
          {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
           Path(std::string(who) + ".key"), "-out", Path(std::string(who) + ".csr"), "-subj",
           std::string("/CN=") + (std::string(who) == "server" ? "localhost" : "baton-client")});
      OpenSsl({"x509", "-req", "-in", Path(std::string(who) + ".csr"), "-CA", Path("ca.pem"),
               "-CAkey", Path("ca.key"), "-CAcreateserial", "-out", Path(std::string(who) + ".pem"),
               "-days", "1", "-extfile", Path("san.cnf")});
    }
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  void OpenSsl(std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/openssl");
    absl::StatusOr<std::string> out = ChildProcess::Output(args, absl::Seconds(60));
    ASSERT_TRUE(out.ok()) << out.status();
  }

  std::vector<std::string> ServerTls() const {
    return {"--tls_cert_file=" + Path("server.pem"), "--tls_key_file=" + Path("server.key"),
            "--tls_client_ca_file=" + Path("ca.pem")};
  }
  std::vector<std::string> ClientTls() const {
    return {"--tls_ca_file=" + Path("ca.pem"), "--tls_client_cert_file=" + Path("client.pem"),
            "--tls_client_key_file=" + Path("client.key"), "--tls_target_name=localhost"};
  }

  // Starts a service; returns its address.
  std::string Start(const std::string& name, std::vector<std::string> flags) {
    const std::string port_file = Path(name + ".port");
    std::remove(port_file.c_str());  // A previous test's.
    std::vector<std::string> argv = {RunfilePath("services/" + name + "/" + name),
                                     "--listen=127.0.0.1:0", "--port_file=" + port_file,
                                     "--storage=sqlite://" + Path(name + ".db")};
    argv.insert(argv.end(), flags.begin(), flags.end());
    absl::StatusOr<ChildProcess> process = ChildProcess::Start(argv, Path(name + ".log"));
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return "";
    auto [it, inserted] = processes_.emplace(name, *std::move(process));
    absl::StatusOr<int> port = WaitForPortFile(port_file, it->second, absl::Seconds(60));
    EXPECT_TRUE(port.ok()) << port.status();
    return port.ok() ? absl::StrCat("127.0.0.1:", *port) : "";
  }

  std::shared_ptr<grpc::Channel> Channel(const std::string& address, bool client_cert) const {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(Path("ca.pem"));
    if (client_cert) {
      options.pem_cert_chain = ReadFile(Path("client.pem"));
      options.pem_private_key = ReadFile(Path("client.key"));
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(address, grpc::SslCredentials(options), args);
  }

  void TearDown() override {
    for (auto& [name, process] : processes_) {
      process.Signal(SIGTERM);
      EXPECT_EQ(process.WaitFor(absl::Seconds(15)), 0)
          << name << ": " << ReadFile(Path(name + ".log"));
    }
  }

  std::string dir_;
  std::map<std::string, ChildProcess> processes_;
};

grpc::Status Check(const std::shared_ptr<grpc::Channel>& channel) {
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext call;
  call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  return health->Check(&call, request, &response);
}

TEST_F(TlsTest, MutualTlsAcceptsOnlyClientsWithACertificate) {
  const std::string catalog = Start("catalog", ServerTls());
  EXPECT_TRUE(Check(Channel(catalog, /*client_cert=*/true)).ok());
  EXPECT_FALSE(Check(Channel(catalog, /*client_cert=*/false)).ok());
  EXPECT_FALSE(Check(grpc::CreateChannel(catalog, grpc::InsecureChannelCredentials())).ok());
}

TEST_F(TlsTest, OrdersCallsItsBackendsOverMutualTls) {
  const std::string catalog = Start("catalog", ServerTls());
  const std::string inventory = Start("inventory", ServerTls());
  std::vector<std::string> orders_flags = ServerTls();
  for (const std::string& flag : ClientTls()) orders_flags.push_back(flag);
  orders_flags.push_back("--catalog_address=" + catalog);
  orders_flags.push_back("--inventory_address=" + inventory);
  const std::string orders = Start("orders", orders_flags);

  auto catalog_stub = catalog::v1::CatalogService::NewStub(Channel(catalog, true));
  catalog::v1::UpsertProductRequest upsert;
  upsert.mutable_product()->set_sku("tls-tea");
  upsert.mutable_product()->set_name("TLS tea");
  upsert.mutable_product()->set_price_cents(300);
  catalog::v1::Product product;
  grpc::ClientContext upsert_call;
  ASSERT_TRUE(catalog_stub->UpsertProduct(&upsert_call, upsert, &product).ok());
  auto inventory_stub = inventory::v1::InventoryService::NewStub(Channel(inventory, true));
  inventory::v1::SetStockRequest set;
  set.set_sku("tls-tea");
  set.set_available(5);
  inventory::v1::Stock stock;
  grpc::ClientContext set_call;
  ASSERT_TRUE(inventory_stub->SetStock(&set_call, set, &stock).ok());

  auto orders_stub = orders::v1::OrdersService::NewStub(Channel(orders, true));
  grpc::ClientContext place_call;
  place_call.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  orders::v1::Order order;
  grpc::Status status =
      orders_stub->PlaceOrder(&place_call, OrderOf("tls", {{"tls-tea", 2}}), &order);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(order.total_cents(), 600);
}

TEST_F(TlsTest, HalfGivenTlsFlagsStopTheStart) {
  absl::StatusOr<ChildProcess> process = ChildProcess::Start(
      {RunfilePath("services/catalog/catalog"), "--tls_cert_file=" + Path("server.pem"),
       "--storage=sqlite://" + Path("half.db")},
      Path("half.log"));
  ASSERT_TRUE(process.ok());
  EXPECT_EQ(process->WaitFor(absl::Seconds(30)), 2);
  EXPECT_NE(ReadFile(Path("half.log")).find("--tls_cert_file and --tls_key_file go together"),
            std::string::npos);
}

}  // namespace
}  // namespace baton::testing
