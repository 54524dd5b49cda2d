// Independent gRPC stacks against the real suite: Node's @grpc/grpc-js (with a
// reflection client from npm), Python's grpcio (Debian's), and grpc-go driven the way
// grpcurl drives a server (go/grpcurl_like.go: reflection, JSON, dynamic messages).
// Each scenario is a script or command run as its own process; this file starts the
// suite, hands them its addresses, and checks what only the suite's logs can show.
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/testing/time_scale.h"
#include "gtest/gtest.h"
#include "tests/testing/child_process.h"
#include "tests/testing/suite_test.h"

namespace baton::testing {
namespace {

class InteropTest : public SuiteTest {
 protected:
  // A wide slack, so that the servers' answer (and its trail) beats the client's own
  // timer even when the machine is busy with other tests.
  static void SetUpTestSuite() {
    StartSuite({.common_flags = {"--propagation_slack=" +
                                 absl::FormatDuration(Scaled(absl::Milliseconds(25)))}});
  }

  void SetUp() override {
    SuiteTest::SetUp();
    ASSERT_TRUE(suite().AddProduct("node-tea", 250, 100).ok());
    ASSERT_TRUE(suite().AddProduct("py-tea", 120, 10).ok());
    setenv("BATON_GATEWAY", suite().address("gateway").c_str(), 1);
    setenv("BATON_CATALOG", suite().address("catalog").c_str(), 1);
    setenv("BATON_INVENTORY", suite().address("inventory").c_str(), 1);
    setenv("BATON_ORDERS", suite().address("orders").c_str(), 1);
    setenv("BATON_API_KEY", suite().api_key().c_str(), 1);
    setenv("BATON_INVENTORY_METRICS", absl::StrCat(suite().metrics_port("inventory")).c_str(), 1);
    setenv("BATON_PROTO_ROOT", RunfilePath("proto").c_str(), 1);
  }

  // Runs a scenario script; its output on failure. Scripts run without the sanitizer
  // builds' LD_LIBRARY_PATH (an instrumented Abseil), which other runtimes must not load.
  static void RunScenario(const std::vector<std::string>& argv, std::string* output = nullptr) {
    absl::StatusOr<std::string> result =
        ChildProcess::Output(argv, absl::Seconds(120) * TimeScale());
    ASSERT_TRUE(result.ok()) << result.status();
    if (output != nullptr) *output = *result;
  }

  static std::string NodeScript() {
    // Node resolves modules from the script's real path: tests/interop/node/, where
    // `npm ci` (tools/test.sh runs it) put node_modules.
    char real[PATH_MAX];
    const std::string link = RunfilePath("tests/interop/node/shop_interop.js");
    return realpath(link.c_str(), real) != nullptr ? std::string(real) : link;
  }

  static void RunNode(const std::string& scenario, std::string* output = nullptr) {
    const std::string script = NodeScript();
    const std::string modules = script.substr(0, script.rfind('/')) + "/node_modules/@grpc/grpc-js";
    struct stat info;
    ASSERT_EQ(stat(modules.c_str(), &info), 0)
        << "Node packages are missing: run `npm ci` in tests/interop/node (tools/test.sh does)";
    RunScenario({"/usr/bin/env", "-u", "LD_LIBRARY_PATH", "/usr/bin/node", script, scenario},
                output);
  }

  static void RunPython(const std::string& scenario) {
    RunScenario({"/usr/bin/env", "-u", "LD_LIBRARY_PATH", "/usr/bin/python3",
                 RunfilePath("tests/interop/python/shop_interop.py"), scenario});
  }

  // grpcurl_like with `args` (built into go/.bin by go/build.sh, which tools/test.sh
  // runs). Its output (stdout and stderr) if it exits 0; otherwise an error holding it.
  static absl::StatusOr<std::string> RunGo(const std::vector<std::string>& args) {
    char real[PATH_MAX];
    const std::string link = RunfilePath("tests/interop/go/grpcurl_like.go");
    const std::string source = realpath(link.c_str(), real) != nullptr ? real : link;
    const std::string binary = source.substr(0, source.rfind('/')) + "/.bin/grpcurl_like";
    if (access(binary.c_str(), X_OK) != 0) {
      return absl::FailedPreconditionError(
          "grpcurl_like is not built: run tests/interop/go/build.sh (tools/test.sh does)");
    }
    std::vector<std::string> argv = {"/usr/bin/env", "-u", "LD_LIBRARY_PATH", binary};
    argv.insert(argv.end(), args.begin(), args.end());
    return ChildProcess::Output(argv, absl::Seconds(60) * TimeScale());
  }

  // The trace id a scenario printed ("TRACE <id>") appears in every listed log.
  static void ExpectTraceIn(const std::string& output, const std::vector<std::string>& services) {
    std::string trace;
    for (absl::string_view line : absl::StrSplit(output, '\n')) {
      if (absl::ConsumePrefix(&line, "TRACE "))
        trace = std::string(absl::StripAsciiWhitespace(line));
    }
    ASSERT_EQ(trace.size(), 32u) << output;
    for (const std::string& service : services) {
      EXPECT_TRUE(absl::StrContains(suite().Log(service), "\"trace_id\":\"" + trace + "\""))
          << service << " did not log trace " << trace;
    }
  }
};

TEST_F(InteropTest, NodeListsAndDescribesEveryServiceThroughReflection) { RunNode("reflection"); }

TEST_F(InteropTest, NodeHealthChecksEveryService) { RunNode("health"); }

TEST_F(InteropTest, NodePlacesAnOrderAndItsTraceReachesEveryHop) {
  std::string output;
  RunNode("order_flow", &output);
  ExpectTraceIn(output, {"gateway", "orders", "catalog", "inventory"});
}

TEST_F(InteropTest, NodeDeadlineComesBackWithTheBudgetTrail) { RunNode("deadline"); }

TEST_F(InteropTest, NodeCancelStopsTheWorkBelow) { RunNode("cancel"); }

TEST_F(InteropTest, NodeWatchesAProductThroughReflectionAndEndsItsStreams) { RunNode("watch"); }

TEST_F(InteropTest, NodeB3ContextIsCarriedOn) {
  std::string output;
  RunNode("b3", &output);
  ExpectTraceIn(output, {"gateway", "catalog"});
}

TEST_F(InteropTest, PythonHealthChecksEveryService) { RunPython("health"); }

TEST_F(InteropTest, PythonPlacesAnOrder) { RunPython("order_flow"); }

// What `grpcurl list` and `grpcurl describe` do, on every service.
TEST_F(InteropTest, GoListsAndDescribesEveryServiceThroughReflection) {
  const std::pair<const char*, const char*> services[] = {
      {"gateway", "baton.shop.v1.ShopService"},
      {"catalog", "baton.catalog.v1.CatalogService"},
      {"inventory", "baton.inventory.v1.InventoryService"},
      {"orders", "baton.orders.v1.OrdersService"}};
  for (const auto& [name, service] : services) {
    absl::StatusOr<std::string> listed = RunGo({suite().address(name), "list"});
    ASSERT_TRUE(listed.ok()) << listed.status();
    for (const char* expected :
         {service, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"}) {
      EXPECT_TRUE(absl::StrContains(*listed, absl::StrCat(expected, "\n")))
          << name << ": " << *listed;
    }
    absl::StatusOr<std::string> described = RunGo({suite().address(name), "describe", service});
    ASSERT_TRUE(described.ok()) << described.status();
    EXPECT_TRUE(absl::StrContains(*described, absl::StrCat(service, " is a service:")))
        << *described;
    EXPECT_TRUE(absl::StrContains(*described, "  rpc ")) << *described;
  }
  absl::StatusOr<std::string> health =
      RunGo({suite().address("gateway"), "describe", "grpc.health.v1.Health"});
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_TRUE(absl::StrContains(*health,
                                "rpc Watch ( grpc.health.v1.HealthCheckRequest ) "
                                "returns ( stream grpc.health.v1.HealthCheckResponse );"))
      << *health;
}

// `grpcurl -d '{...}' -H ... ADDRESS Service/Method`, JSON in and out; -v shows the
// budget trail of every hop the call went through.
TEST_F(InteropTest, GoCallsWithJsonAndSeesTheBudgetTrail) {
  absl::StatusOr<std::string> product =
      RunGo({"-v", "-H", "x-api-key: " + suite().api_key(), "-d", R"({"sku": "node-tea"})",
             suite().address("gateway"), "baton.shop.v1.ShopService/GetProduct"});
  ASSERT_TRUE(product.ok()) << product.status();
  EXPECT_TRUE(absl::StrContains(*product, "node-tea")) << *product;
  EXPECT_TRUE(absl::StrContains(*product, "x-baton-budget-trail: gateway=")) << *product;
  EXPECT_TRUE(absl::StrContains(*product, ",catalog=")) << *product;
  for (const char* name : {"gateway", "catalog", "inventory", "orders"}) {
    absl::StatusOr<std::string> health =
        RunGo({"-d", R"({"service": ""})", suite().address(name), "grpc.health.v1.Health/Check"});
    ASSERT_TRUE(health.ok()) << name << ": " << health.status();
    EXPECT_TRUE(absl::StrContains(*health, "SERVING")) << *health;
  }
}

// grpcurl's -max-time is the call's deadline (grpc-timeout). With a budget of the
// suite's own below it (x-baton-budget-us, as the Node scenario does), the suite's
// answer arrives before the client's timer: DEADLINE_EXCEEDED, where the budget ran
// out, and the trail. With grpc-timeout alone the call ends near it, however it ends.
TEST_F(InteropTest, GoDeadlineComesBackExplained) {
  const std::string order = R"({"customer": "go", "items": [{"sku": "node-tea", "quantity": 1}]})";
  const std::vector<std::string> slow = {"-H", "x-api-key: " + suite().api_key(),
                                         "-H", "x-baton-fault: inventory=delay:3s",
                                         "-d", order};
  const std::string method = "baton.shop.v1.ShopService/PlaceOrder";
  absl::Time start = absl::Now();
  std::vector<std::string> args = {"-v", "-max-time", "10", "-H", "x-baton-budget-us: 400000"};
  args.insert(args.end(), slow.begin(), slow.end());
  args.insert(args.end(), {suite().address("gateway"), method});
  absl::StatusOr<std::string> explained = RunGo(args);
  ASSERT_FALSE(explained.ok());
  const std::string output(explained.status().message());
  EXPECT_TRUE(absl::StrContains(output, "Code: DeadlineExceeded")) << output;
  EXPECT_TRUE(absl::StrContains(output, "expired at gateway")) << output;
  EXPECT_TRUE(absl::StrContains(output, "x-baton-budget-trail: gateway=")) << output;
  EXPECT_TRUE(absl::StrContains(output, ",orders=")) << output;
  EXPECT_LT(absl::Now() - start, absl::Seconds(3) * TimeScale()) << output;

  start = absl::Now();
  args = {"-max-time", "0.5"};
  args.insert(args.end(), slow.begin(), slow.end());
  args.insert(args.end(), {suite().address("gateway"), method});
  absl::StatusOr<std::string> plain = RunGo(args);
  ASSERT_FALSE(plain.ok());
  EXPECT_TRUE(absl::StrContains(plain.status().message(), "Code: DeadlineExceeded"))
      << plain.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3) * TimeScale()) << plain.status();
}

// Bad input through grpcurl: a clear status naming the field, and nothing crashes.
TEST_F(InteropTest, GoBadInputIsNamed) {
  absl::StatusOr<std::string> empty =
      RunGo({"-H", "x-api-key: " + suite().api_key(), "-d", R"({"sku": ""})",
             suite().address("gateway"), "baton.shop.v1.ShopService/GetProduct"});
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(absl::StrContains(empty.status().message(), "Code: InvalidArgument"))
      << empty.status();
  EXPECT_TRUE(absl::StrContains(empty.status().message(), "sku")) << empty.status();
  absl::StatusOr<std::string> keyless =
      RunGo({"-d", R"({"sku": "node-tea"})", suite().address("gateway"),
             "baton.shop.v1.ShopService/GetProduct"});
  ASSERT_FALSE(keyless.ok());
  EXPECT_TRUE(absl::StrContains(keyless.status().message(), "Code: Unauthenticated"))
      << keyless.status();
}

}  // namespace
}  // namespace baton::testing
