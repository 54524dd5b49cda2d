#include "common/testing/bench_flags.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace baton::testing {
namespace {

const char* ValueHint(FlagKind kind) {
  switch (kind) {
    case FlagKind::kNumber:
    case FlagKind::kWholeNumber:
      return "=N";
    case FlagKind::kText:
      return "=TEXT";
    case FlagKind::kSwitch:
      return "";
  }
  return "";
}

std::string Usage(const std::vector<FlagSpec>& declared) {
  return absl::StrJoin(declared, " ", [](std::string* out, const FlagSpec& flag) {
    absl::StrAppend(out, "--", std::string(flag.name), ValueHint(flag.kind));
  });
}

// "a, b or c".
std::string Choices(const std::vector<std::string_view>& one_of) {
  std::string out;
  for (size_t i = 0; i < one_of.size(); ++i) {
    if (i > 0) out += i + 1 == one_of.size() ? " or " : ", ";
    out += one_of[i];
  }
  return out;
}

// Why `value` is no value for the number flag `flag`; OK if it is one.
absl::Status CheckNumber(const FlagSpec& flag, const std::string& value) {
  const std::string name(flag.name);
  double number = 0;
  if (!absl::SimpleAtod(value, &number) || !std::isfinite(number)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be a number, not \"", value, "\""));
  }
  if (flag.kind == FlagKind::kWholeNumber &&
      (number != std::floor(number) || number > std::numeric_limits<int>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be a whole number, not \"", value, "\""));
  }
  if (number < flag.at_least) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be at least ", flag.at_least, ", not ", value));
  }
  return absl::OkStatus();
}

// A mistake in the benchmark's code, not in its command line: stop, naming it.
[[noreturn]] void Misread(std::string_view name, const char* problem) {
  std::fprintf(stderr, "BenchFlags: --%.*s %s\n", static_cast<int>(name.size()), name.data(),
               problem);
  std::abort();
}

}  // namespace

absl::StatusOr<BenchFlags> BenchFlags::Parse(int argc, const char* const* argv,
                                             const std::vector<FlagSpec>& declared) {
  BenchFlags flags;
  flags.declared_ = declared;
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
                                   [&name](const FlagSpec& flag) { return flag.name == name; });
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
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " takes a value: --", name, ValueHint(spec->kind)));
    }
    if (spec->kind != FlagKind::kText) {
      if (absl::Status number = CheckNumber(*spec, value); !number.ok()) return number;
    }
    if (!spec->one_of.empty() &&
        std::find(spec->one_of.begin(), spec->one_of.end(), value) == spec->one_of.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " must be ", Choices(spec->one_of), ", not ", value));
    }
    flags.given_[name] = value;
  }
  return flags;
}

const FlagSpec& BenchFlags::Declared(std::string_view name) const {
  const auto spec = std::find_if(declared_.begin(), declared_.end(),
                                 [name](const FlagSpec& flag) { return flag.name == name; });
  if (spec == declared_.end()) Misread(name, "is read but was never declared");
  return *spec;
}

BenchFlags BenchFlags::ParseOrExit(int argc, const char* const* argv,
                                   const std::vector<FlagSpec>& declared) {
  absl::StatusOr<BenchFlags> parsed = Parse(argc, argv, declared);
  if (!parsed.ok()) {
    std::fprintf(stderr, "%s\n", std::string(parsed.status().message()).c_str());
    std::exit(2);
  }
  return *std::move(parsed);
}

double BenchFlags::Number(std::string_view name, double fallback) const {
  const FlagKind kind = Declared(name).kind;
  if (kind != FlagKind::kNumber && kind != FlagKind::kWholeNumber) {
    Misread(name, "is read as a number but is not one");
  }
  const auto it = given_.find(name);
  double number = fallback;
  if (it != given_.end()) (void)absl::SimpleAtod(it->second, &number);  // Checked by Parse.
  return number;
}

std::string BenchFlags::Text(std::string_view name, std::string_view fallback) const {
  if (Declared(name).kind == FlagKind::kSwitch) Misread(name, "is a switch; it has no text");
  const auto it = given_.find(name);
  return it != given_.end() ? it->second : std::string(fallback);
}

bool BenchFlags::Has(std::string_view name) const {
  Declared(name);
  return given_.find(name) != given_.end();
}

std::string BenchFlags::AsArgument(std::string_view name) const {
  const FlagKind kind = Declared(name).kind;
  const auto it = given_.find(name);
  if (it == given_.end()) Misread(name, "is passed on but was not given");
  return kind == FlagKind::kSwitch ? absl::StrCat("--", it->first)
                                   : absl::StrCat("--", it->first, "=", it->second);
}

}  // namespace baton::testing
