// The command line of a benchmark binary: `--name=value` flags and bare `--name`
// switches, every one declared up front.
//
//   const BenchFlags flags = BenchFlags::ParseOrExit(
//       argc, argv, {{"seconds", FlagKind::kNumber, 0.1}, {"log", FlagKind::kSwitch}});
//   const double seconds = flags.Number("seconds", 3);
//
// Parse refuses, with a message naming the argument: a flag not declared (a typo must
// not run a different benchmark than the one asked for, nor reach a child process that
// reads it differently), a value flag without a value, a switch given one, a number
// that is not a finite one, a whole number that is not whole (or over INT_MAX), a
// number below the flag's `at_least`, and a value not `one_of` the flag's. When a flag
// repeats, the last one counts.
//
// Reading a flag that was not declared, or as another kind than declared, is a
// mistake in the benchmark's code: the process stops, naming the flag.
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

enum class FlagKind { kNumber, kWholeNumber, kText, kSwitch };

struct FlagSpec {
  std::string_view name;
  FlagKind kind;
  // The least value a number flag takes.
  double at_least = 0;
  // The values a value flag may take, as written; empty: any of its kind.
  std::vector<std::string_view> one_of = {};
};

class BenchFlags {
 public:
  static absl::StatusOr<BenchFlags> Parse(int argc, const char* const* argv,
                                          const std::vector<FlagSpec>& declared);
  // Parse, for a benchmark's main(): on a refusal, prints its message on stderr and
  // exits with status 2 (a usage error).
  static BenchFlags ParseOrExit(int argc, const char* const* argv,
                                const std::vector<FlagSpec>& declared);

  // The value of a declared number or whole-number flag, or `fallback` when it was not
  // given.
  double Number(std::string_view name, double fallback) const;
  // The value of a declared text flag (or, as given, of any value flag), or `fallback`
  // when it was not given.
  std::string Text(std::string_view name, std::string_view fallback) const;
  // Whether the flag was given at all.
  bool Has(std::string_view name) const;
  // The flag as given, to pass on to a child process: "--name=value" or "--name".
  // The flag must have been given.
  std::string AsArgument(std::string_view name) const;

 private:
  // The declared flag `name`; stops the process if there is none.
  const FlagSpec& Declared(std::string_view name) const;

  std::vector<FlagSpec> declared_;
  std::map<std::string, std::string, std::less<>> given_;
};

}  // namespace baton::testing

#endif  // BATON_COMMON_TESTING_BENCH_FLAGS_H_
