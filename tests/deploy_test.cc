// deploy/ checked against the real binaries (Docker and Kubernetes do not run here):
// every YAML parses; ports, probes, grace periods and flags match what the services do.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/child_process.h"
#include "tests/testing/shop_suite.h"

namespace baton::testing {
namespace {

void RunCheck(const std::string& check) {
  std::vector<std::string> argv = {"/usr/bin/python3", RunfilePath("deploy/check_deploy.py"),
                                   check};
  for (const char* service : {"catalog", "inventory", "orders", "gateway"}) {
    argv.push_back(std::string("--binary=") + service + "=" +
                   RunfilePath(std::string("services/") + service + "/" + service));
  }
  absl::StatusOr<std::string> output = ChildProcess::Output(argv, absl::Seconds(120));
  EXPECT_TRUE(output.ok()) << output.status();
}

TEST(DeployTest, EveryYamlFileParses) { RunCheck("yaml"); }
TEST(DeployTest, KubernetesManifestsMatchTheBinaries) { RunCheck("kubernetes"); }
TEST(DeployTest, IstioRoutesReachRealServicesAndRetryOnlyWhatIsSafe) { RunCheck("istio"); }
TEST(DeployTest, EnvoyFrontProxyReachesTheGatewayOverHttp2) { RunCheck("envoy"); }
TEST(DeployTest, ImageShipsAllFourServices) { RunCheck("dockerfile"); }

}  // namespace
}  // namespace baton::testing
