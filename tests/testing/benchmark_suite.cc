#include "tests/testing/benchmark_suite.h"

#include <stdlib.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace baton::testing {

absl::StatusOr<std::unique_ptr<ShopSuite>> StartSuiteForBenchmark(const char* argv0,
                                                                  const std::string& name) {
  if (getenv("TEST_SRCDIR") == nullptr) {
    setenv("TEST_SRCDIR", absl::StrCat(argv0, ".runfiles").c_str(), 1);
  }
  std::string dir = absl::StrCat("/tmp/baton-", name, "-XXXXXX");
  if (getenv("TEST_TMPDIR") == nullptr && mkdtemp(dir.data()) != nullptr) {
    setenv("TEST_TMPDIR", dir.c_str(), 1);
  }
  return ShopSuite::Start();
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return -1;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

}  // namespace baton::testing
