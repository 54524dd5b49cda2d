#include "common/runtime/fault_injection.h"

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/rpc/metadata_table.h"
#include "common/rpc/request_metadata.h"

namespace baton::runtime {
namespace {

constexpr absl::Duration kMaxDelay = absl::Seconds(60);

std::optional<absl::StatusCode> ParseCode(std::string_view text) {
  int number = 0;
  if (absl::SimpleAtoi(absl::string_view(text.data(), text.size()), &number)) {
    if (number >= 1 && number <= 16) return static_cast<absl::StatusCode>(number);
    return std::nullopt;
  }
  for (int code = 1; code <= 16; ++code) {
    if (absl::StatusCodeToString(static_cast<absl::StatusCode>(code)) == text) {
      return static_cast<absl::StatusCode>(code);
    }
  }
  return std::nullopt;
}

absl::Status BadRule(std::string_view rule, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(rpc::kFaultHeader, ": rule \"", std::string(rule), "\" ", std::string(why),
                   " (expected service[.handler|.storage|.reply]=delay:<duration>|fail:<CODE>)"));
}

}  // namespace

absl::StatusOr<std::vector<FaultRule>> ParseFaultHeader(std::string_view value) {
  std::vector<FaultRule> rules;
  for (absl::string_view piece :
       absl::StrSplit(absl::string_view(value.data(), value.size()), ',')) {
    const std::string rule(absl::StripAsciiWhitespace(piece));
    if (rule.empty()) continue;
    std::vector<std::string> target_action = absl::StrSplit(rule, absl::MaxSplits('=', 1));
    if (target_action.size() != 2) return BadRule(rule, "has no '='");
    FaultRule out;
    std::vector<std::string> target = absl::StrSplit(target_action[0], absl::MaxSplits('.', 1));
    out.service = target[0];
    if (out.service.empty()) return BadRule(rule, "names no service");
    if (target.size() == 2) {
      if (target[1] == "handler") {
        out.point = FaultPoint::kHandler;
      } else if (target[1] == "storage") {
        out.point = FaultPoint::kStorage;
      } else if (target[1] == "reply") {
        out.point = FaultPoint::kReply;
      } else {
        return BadRule(rule, "names an unknown point");
      }
    }
    absl::string_view action = target_action[1];
    if (absl::ConsumePrefix(&action, "delay:")) {
      if (!absl::ParseDuration(action, &out.delay) || out.delay < absl::ZeroDuration() ||
          out.delay > kMaxDelay) {
        return BadRule(rule, "has a delay that is not a duration of 0 to 60s");
      }
    } else if (absl::ConsumePrefix(&action, "fail:")) {
      std::optional<absl::StatusCode> code = ParseCode(std::string(action));
      if (!code.has_value()) return BadRule(rule, "has an unknown status code");
      out.fail = *code;
    } else {
      return BadRule(rule, "has an unknown action");
    }
    rules.push_back(std::move(out));
  }
  return rules;
}

absl::Status FaultInjector::Inject(const Context& ctx, FaultPoint point) const {
  const rpc::RequestMetadata* metadata = rpc::MetadataOf(ctx);
  if (metadata == nullptr) return absl::OkStatus();
  for (const auto& [name, value] : metadata->extra) {
    if (name != rpc::kFaultHeader) continue;
    absl::StatusOr<std::vector<FaultRule>> rules = ParseFaultHeader(value);
    if (!rules.ok()) {
      // The handler point already told the caller; later points stay out of the way.
      return point == FaultPoint::kHandler ? rules.status() : absl::OkStatus();
    }
    for (const FaultRule& rule : *rules) {
      if (rule.service != service_ || rule.point != point) continue;
      const char* where = point == FaultPoint::kHandler   ? "handler"
                          : point == FaultPoint::kStorage ? "storage"
                                                          : "reply";
      if (rule.fail != absl::StatusCode::kOk) {
        return absl::Status(rule.fail, absl::StrCat("injected fault at ", service_, ".", where));
      }
      if (ctx.WaitFor(rule.delay)) return Cause(ctx);
    }
  }
  return absl::OkStatus();
}

}  // namespace baton::runtime
