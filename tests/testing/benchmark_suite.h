// What the suite benchmarks (`bazel run` binaries, not tests) share: starting the
// suite outside `bazel test`, and percentiles of their samples.
#ifndef BATON_TESTS_TESTING_BENCHMARK_SUITE_H_
#define BATON_TESTS_TESTING_BENCHMARK_SUITE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/testing/shop_suite.h"

namespace baton::testing {

// The suite, its binaries found in `argv0`'s runfiles and its files in a new
// /tmp/baton-<name>-XXXXXX directory when not run by `bazel test`.
absl::StatusOr<std::unique_ptr<ShopSuite>> StartSuiteForBenchmark(const char* argv0,
                                                                  const std::string& name);

// The `p` quantile (0–1) of `values`; -1 when there are none.
double Percentile(std::vector<double> values, double p);

}  // namespace baton::testing

#endif  // BATON_TESTS_TESTING_BENCHMARK_SUITE_H_
