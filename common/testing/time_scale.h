// Scaled: test timings stretched for slow builds.
//
// Sanitizer builds run several times slower; a test whose scenario depends on a
// deadline being long enough for the work before it (a 100 ms budget that must reach
// the third hop) scales it by BATON_TEST_TIME_SCALE (set by .bazelrc's asan and tsan
// configs; 1 otherwise). The behaviour asserted is the same at any scale.
#ifndef BATON_COMMON_TESTING_TIME_SCALE_H_
#define BATON_COMMON_TESTING_TIME_SCALE_H_

#include <cstdlib>

#include "absl/time/time.h"

namespace baton::testing {

inline int TimeScale() {
  const char* scale = std::getenv("BATON_TEST_TIME_SCALE");
  const int value = scale != nullptr ? std::atoi(scale) : 1;
  return value >= 1 ? value : 1;
}

inline absl::Duration Scaled(absl::Duration duration) { return duration * TimeScale(); }

}  // namespace baton::testing

#endif  // BATON_COMMON_TESTING_TIME_SCALE_H_
