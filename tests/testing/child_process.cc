#include "tests/testing/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace baton::testing {
namespace {

absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, int output_fd) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, output_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, output_fd, STDERR_FILENO);
  // The test may have blocked signals; the child starts with none blocked.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  const int error = posix_spawn(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) return absl::UnavailableError("cannot start " + argv[0]);
  return pid;
}

std::optional<int> Reap(pid_t pid, absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (done < 0 || absl::Now() >= give_up) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(5));
  }
}

}  // namespace

absl::StatusOr<ChildProcess> ChildProcess::Start(const std::vector<std::string>& argv,
                                                 const std::string& log_path) {
  const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return absl::UnavailableError("cannot open " + log_path);
  absl::StatusOr<pid_t> pid = Spawn(argv, fd);
  close(fd);
  if (!pid.ok()) return pid.status();
  return ChildProcess(*pid, log_path);
}

absl::StatusOr<std::string> ChildProcess::Output(const std::vector<std::string>& argv,
                                                 absl::Duration timeout) {
  char path[] = "/tmp/baton-output-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return absl::UnavailableError("cannot make a temporary file");
  absl::StatusOr<pid_t> pid = Spawn(argv, fd);
  close(fd);
  if (!pid.ok()) return pid.status();
  std::optional<int> code = Reap(*pid, timeout);
  if (!code.has_value()) {
    kill(*pid, SIGKILL);
    Reap(*pid, absl::Seconds(5));
  }
  std::string output = ReadFile(path);
  unlink(path);
  if (code != 0) return absl::InternalError(argv[0] + " failed: " + output);
  return output;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), log_path_(std::move(other.log_path_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    Kill();
    pid_ = std::exchange(other.pid_, -1);
    log_path_ = std::move(other.log_path_);
  }
  return *this;
}

ChildProcess::~ChildProcess() { Kill(); }

void ChildProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  Reap(pid_, absl::Seconds(10));
  pid_ = -1;
}

void ChildProcess::Signal(int signal) const {
  if (pid_ > 0) kill(pid_, signal);
}

std::optional<int> ChildProcess::WaitFor(absl::Duration timeout) {
  if (pid_ <= 0) return std::nullopt;
  std::optional<int> code = Reap(pid_, timeout);
  if (code.has_value()) pid_ = -1;
  return code;
}

absl::StatusOr<int> WaitForPortFile(const std::string& path, ChildProcess& process,
                                    absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    int port = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFile(path)), &port) && port > 0) {
      return port;
    }
    if (std::optional<int> exited = process.WaitFor(absl::ZeroDuration())) {
      return absl::UnavailableError(
          absl::StrCat("exited with ", *exited, ": ", ReadFile(process.log_path())));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError("no port file " + path);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace baton::testing
