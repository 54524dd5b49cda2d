// A benchmark's server in a process of its own: a program (this binary run again with
// other flags, "/proc/self/exe", or another program) on the CPU given, talking line by
// line over its stdin and stdout. A load generator sharing cores with the server it
// loads takes CPU from it in proportion to the load it offers, so an overload figure
// measured that way is partly the generator's; a server process on its own CPU shows
// the server alone.
//
// Thread safety: one thread uses an instance. The destructor closes the child's stdin
// (the child's signal to exit) and waits for it, killing it after a bound.
#ifndef BATON_COMMON_TESTING_SERVER_PROCESS_H_
#define BATON_COMMON_TESTING_SERVER_PROCESS_H_

#include <sys/types.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace baton::testing {

// Pins the calling thread, and the threads it starts afterwards, to `cpu`; false if
// the system refused (no such CPU).
bool PinToCpu(int cpu);

// A "VmRSS"-style field of a process's status file ("/proc/self/status",
// "/proc/<pid>/status"), in MiB; 0 if absent.
double StatusFieldMiB(const std::string& status_path, const std::string& field);

class ServerProcess {
 public:
  // For Start: no CPU of its own; the child may run where the calling thread may.
  static constexpr int kAnyCpu = -1;

  // Runs `program` with `args` (argv[1..]), pinned to `cpu` (the child exits 126 if it
  // cannot be), or on the calling thread's CPUs if `cpu` is kAnyCpu. Ignores SIGPIPE in
  // this process from here on.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(const std::string& program,
                                                              const std::vector<std::string>& args,
                                                              int cpu);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Sends one line, or reads one (without its newline); an error once the child is gone.
  absl::Status WriteLine(const std::string& line);
  absl::StatusOr<std::string> ReadLine();
  // WriteLine(question), then ReadLine(): the child's answer.
  absl::StatusOr<std::string> Ask(const std::string& question);
  // The child's resident memory, in MiB.
  double RssMiB() const;
  // The CPU time (user + system) the child has used so far, in seconds; 0 if unknown.
  double CpuSeconds() const;

 private:
  struct Passkey {};

 public:
  ServerProcess(Passkey, pid_t pid, FILE* to_child, FILE* from_child)
      : pid_(pid), to_child_(to_child), from_child_(from_child) {}

 private:
  const pid_t pid_;
  FILE* const to_child_;
  FILE* const from_child_;
};

// One line from `in`, without its newline; nullopt at the end (or an error).
std::optional<std::string> ReadLineFrom(FILE* in);

// The child's side: the ServerProcess's lines arrive on stdin, replies go to stdout.
// Answers each request line with `answer(line)` until stdin closes.
template <typename Answer>
void ServeLines(Answer answer) {
  while (std::optional<std::string> request = ReadLineFrom(stdin)) {
    std::printf("%s\n", answer(*request).c_str());
    std::fflush(stdout);
  }
}

}  // namespace baton::testing

#endif  // BATON_COMMON_TESTING_SERVER_PROCESS_H_
