// ChildProcess: a program started for a test, with its stderr captured to a file.
//
// The destructor stops a child that is still running (SIGKILL) and reaps it, so a
// failing test never leaves a process behind.
//
// Thread safety: one owner; not for concurrent use.
#ifndef BATON_TESTS_TESTING_CHILD_PROCESS_H_
#define BATON_TESTS_TESTING_CHILD_PROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace baton::testing {

class ChildProcess {
 public:
  // Starts argv[0] with `argv`; stdout and stderr go to `log_path` (appended).
  static absl::StatusOr<ChildProcess> Start(const std::vector<std::string>& argv,
                                            const std::string& log_path);
  // Runs to completion (bounded by `timeout`); returns its stdout.
  static absl::StatusOr<std::string> Output(const std::vector<std::string>& argv,
                                            absl::Duration timeout);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  void Signal(int signal) const;
  // The exit code once it exits within `timeout` (128+N for signal N), else nullopt.
  std::optional<int> WaitFor(absl::Duration timeout);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

 private:
  ChildProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  void Kill();
  pid_t pid_ = -1;
  std::string log_path_;
};

// Waits for a service started with --port_file=`path` to write its port there, up to
// `timeout`; fails at once, with its log, if the process exits first.
absl::StatusOr<int> WaitForPortFile(const std::string& path, ChildProcess& process,
                                    absl::Duration timeout);

// The whole file, or "" if it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace baton::testing

#endif  // BATON_TESTS_TESTING_CHILD_PROCESS_H_
