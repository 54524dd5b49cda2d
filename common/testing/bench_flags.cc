#include "common/testing/bench_flags.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace baton::testing {
namespace {

std::string Usage(const std::vector<FlagSpec>& declared) {
  return absl::StrJoin(declared, " ", [](std::string* out, const FlagSpec& flag) {
    absl::StrAppend(out, "--", std::string(flag.name),
                    flag.kind == FlagKind::kNumber ? "=N"
                    : flag.kind == FlagKind::kText ? "=TEXT"
                                                   : "");
  });
}

}  // namespace

absl::StatusOr<BenchFlags> BenchFlags::Parse(int argc, const char* const* argv,
                                             const std::vector<FlagSpec>& declared) {
  BenchFlags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.substr(0, 2) != "--" || arg.size() == 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", arg, "\"; flags: ", Usage(declared)));
    }
    const size_t equals = arg.find('=');
    const std::string name =
        arg.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
    const auto spec = std::find_if(declared.begin(), declared.end(),
                                   [name](const FlagSpec& flag) { return flag.name == name; });
    if (spec == declared.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, "; flags: ", Usage(declared)));
    }
    if (spec->kind == FlagKind::kSwitch) {
      if (equals != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      }
      flags.given_[name] = "";
      continue;
    }
    const std::string value = equals == std::string::npos ? "" : arg.substr(equals + 1);
    if (value.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " takes a value: --", name,
                                                     spec->kind == FlagKind::kNumber ? "=N"
                                                                                     : "=TEXT"));
    }
    double number = 0;
    if (spec->kind == FlagKind::kNumber && !absl::SimpleAtod(value, &number)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " must be a number, not \"", value, "\""));
    }
    flags.given_[name] = value;
  }
  return flags;
}

double BenchFlags::Number(std::string_view name, double fallback) const {
  const auto it = given_.find(name);
  double number = fallback;
  if (it != given_.end()) (void)absl::SimpleAtod(it->second, &number);  // Checked by Parse.
  return number;
}

std::string BenchFlags::Text(std::string_view name, std::string_view fallback) const {
  const auto it = given_.find(name);
  return it != given_.end() ? it->second : std::string(fallback);
}

bool BenchFlags::Has(std::string_view name) const { return given_.find(name) != given_.end(); }

}  // namespace baton::testing
