// Fault injection for tests and demos: a request asks a named service to be slow or to
// fail, at its handler or at its storage calls.
//
//   x-baton-fault: inventory.storage=delay:500ms,orders=fail:UNAVAILABLE
//
// A rule is `<service>[.<point>]=<action>`, rules separated by commas:
//   point    handler (the default) — before the handler runs;
//            storage — before each storage call (Query, Execute, Transaction);
//            reply — after a handler that succeeded, before its answer is sent (the
//            work is done, the answer is late: what a slow network looks like)
//   action   delay:<duration>  waits (absl duration, ≤ 60s), but stops when the
//                              request's Context is done — an abandoned request does
//                              not keep sleeping — and then fails with its cause
//            fail:<CODE>       fails with the gRPC code (name, e.g. UNAVAILABLE, or
//                              number 1–16)
// Rules for other services are ignored; they travel on with the request.
//
// Off unless the service runs with --enable_fault_injection: only then is the header
// taken in (and carried to downstream calls) at all. A malformed header, when on, fails
// the request at its handler with INVALID_ARGUMENT naming the header.
//
// Thread safety: immutable after construction; Inject may be called from any thread.
#ifndef BATON_COMMON_RUNTIME_FAULT_INJECTION_H_
#define BATON_COMMON_RUNTIME_FAULT_INJECTION_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/context/context.h"

namespace baton::runtime {

enum class FaultPoint { kHandler, kStorage, kReply };

struct FaultRule {
  std::string service;
  FaultPoint point = FaultPoint::kHandler;
  absl::Duration delay = absl::ZeroDuration();    // A delay rule, or
  absl::StatusCode fail = absl::StatusCode::kOk;  // a failure rule.
};

// Parses a header value; INVALID_ARGUMENT names the rule that is wrong.
absl::StatusOr<std::vector<FaultRule>> ParseFaultHeader(std::string_view value);

class FaultInjector {
 public:
  explicit FaultInjector(std::string service) : service_(std::move(service)) {}

  // Applies this service's rules for `point` from the request's header (in ctx's
  // RequestMetadata), in order. OK when there are none or every delay ran out.
  absl::Status Inject(const Context& ctx, FaultPoint point) const;

 private:
  const std::string service_;
};

}  // namespace baton::runtime

#endif  // BATON_COMMON_RUNTIME_FAULT_INJECTION_H_
