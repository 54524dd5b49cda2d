// The command line of a benchmark binary: `--name=value` flags and bare `--name`
// switches, every one declared up front.
//
//   absl::StatusOr<BenchFlags> flags = BenchFlags::Parse(
//       argc, argv, {{"seconds", FlagKind::kNumber}, {"log", FlagKind::kSwitch}});
//   if (!flags.ok()) { /* print flags.status().message(), exit 2 */ }
//   const double seconds = flags->Number("seconds", 3);
//
// Parse refuses, with a message naming the argument: a flag not declared (a typo must
// not run a different benchmark than the one asked for, nor reach a child process that
// reads it differently), a value flag without a value, a switch given one, and a number
// flag whose value is not a number. When a flag repeats, the last one counts.
//
// Thread-compatible: read-only after Parse.
#ifndef BATON_COMMON_TESTING_BENCH_FLAGS_H_
#define BATON_COMMON_TESTING_BENCH_FLAGS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace baton::testing {

enum class FlagKind { kNumber, kText, kSwitch };

struct FlagSpec {
  std::string_view name;
  FlagKind kind;
};

class BenchFlags {
 public:
  static absl::StatusOr<BenchFlags> Parse(int argc, const char* const* argv,
                                          const std::vector<FlagSpec>& declared);

  // The value of a declared number flag, or `fallback` when it was not given.
  double Number(std::string_view name, double fallback) const;
  // The value of a declared text flag, or `fallback` when it was not given.
  std::string Text(std::string_view name, std::string_view fallback) const;
  // Whether the flag was given at all.
  bool Has(std::string_view name) const;

 private:
  std::map<std::string, std::string, std::less<>> given_;
};

}  // namespace baton::testing

#endif  // BATON_COMMON_TESTING_BENCH_FLAGS_H_
