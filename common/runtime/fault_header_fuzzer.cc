// libFuzzer target: the x-baton-fault header, which a client sends when fault
// injection is on. Parsing must never crash, and an accepted delay is bounded.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/runtime/fault_injection.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto rules = baton::runtime::ParseFaultHeader(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (rules.ok()) {
    for (const auto& rule : *rules) {
      if (rule.delay < absl::ZeroDuration() || rule.delay > absl::Seconds(60)) std::abort();
    }
  }
  return 0;
}
