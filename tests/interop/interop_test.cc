// Independent gRPC stacks against the real suite: Node's @grpc/grpc-js (with a
// reflection client from npm) and Python's grpcio (Debian's). Each scenario is a script
// run as its own process; this file starts the suite, hands the scripts its addresses,
// and checks what only the suite's logs can show.
#include <stdlib.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
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

}  // namespace
}  // namespace baton::testing
