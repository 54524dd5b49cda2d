#include "common/rpc/policy.h"

namespace baton::rpc {

std::optional<Enforcement> ParseEnforcement(std::string_view text) {
  if (text == "enforce") return Enforcement::kEnforce;
  if (text == "observe") return Enforcement::kObserve;
  if (text == "off") return Enforcement::kOff;
  return std::nullopt;
}

const char* EnforcementName(Enforcement mode) {
  switch (mode) {
    case Enforcement::kEnforce:
      return "enforce";
    case Enforcement::kObserve:
      return "observe";
    case Enforcement::kOff:
      return "off";
  }
  return "enforce";
}

}  // namespace baton::rpc
