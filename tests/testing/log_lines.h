// Reading the services' JSON request-log lines (one flat object per line, as
// common/rpc/request_log.h writes them) in tests and benchmarks.
//
// Thread safety: pure functions.
#ifndef BATON_TESTS_TESTING_LOG_LINES_H_
#define BATON_TESTS_TESTING_LOG_LINES_H_

#include <optional>
#include <string>

#include "absl/time/time.h"

namespace baton::testing {

// The log line of `method` for `request_id` in `log`, or "".
std::string LogLine(const std::string& log, const std::string& method,
                    const std::string& request_id);

// The value of a string or number field of a line ("" if absent); no unescaping.
std::string LogField(const std::string& line, const std::string& name);

// The line's duration_ms, or -1.
double DurationMs(const std::string& line);

// When the request ended: its start ("time") plus its duration; nullopt if unreadable.
std::optional<absl::Time> EndTime(const std::string& line);

}  // namespace baton::testing

#endif  // BATON_TESTS_TESTING_LOG_LINES_H_
