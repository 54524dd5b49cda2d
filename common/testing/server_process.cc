#include "common/testing/server_process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace baton::testing {

bool PinToCpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof(set), &set) == 0;
}

double StatusFieldMiB(const std::string& status_path, const std::string& field) {
  std::ifstream status(status_path);
  std::string line;
  while (std::getline(status, line)) {
    if (!absl::StartsWith(line, field + ":")) continue;
    double kib = 0;
    std::string number = line.substr(field.size() + 1);
    number.erase(0, number.find_first_not_of(" \t"));
    number = number.substr(0, number.find(' '));
    if (absl::SimpleAtod(number, &kib)) return kib / 1024;
  }
  return 0;
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::string& program, const std::vector<std::string>& args, int cpu) {
  // A child that dies must show as an error on the next line sent, not end this
  // process by SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  int down[2], up[2];
  if (pipe2(down, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  if (pipe2(up, O_CLOEXEC) != 0) {
    close(down[0]);
    close(down[1]);
    return absl::InternalError("pipe failed");
  }
  // Everything the child needs is built before fork: only async-signal-safe calls after.
  std::vector<std::string> owned = {program};
  owned.insert(owned.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : owned) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    // dup2 leaves the new descriptors open across exec; the O_CLOEXEC originals close.
    dup2(down[0], STDIN_FILENO);
    dup2(up[1], STDOUT_FILENO);
    if (cpu != kAnyCpu && !PinToCpu(cpu)) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(down[0]);
  close(up[1]);
  if (pid < 0) {
    close(down[1]);
    close(up[0]);
    return absl::InternalError("fork failed");
  }
  FILE* to_child = fdopen(down[1], "w");
  FILE* from_child = fdopen(up[0], "r");
  if (to_child == nullptr || from_child == nullptr) {
    if (to_child != nullptr) {
      std::fclose(to_child);
    } else {
      close(down[1]);
    }
    if (from_child != nullptr) {
      std::fclose(from_child);
    } else {
      close(up[0]);
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return absl::InternalError("fdopen failed");
  }
  return std::make_unique<ServerProcess>(Passkey{}, pid, to_child, from_child);
}

ServerProcess::~ServerProcess() {
  std::fclose(to_child_);
  std::fclose(from_child_);
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (absl::Now() > give_up) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      return;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

absl::Status ServerProcess::WriteLine(const std::string& line) {
  if (std::fprintf(to_child_, "%s\n", line.c_str()) < 0 || std::fflush(to_child_) != 0) {
    return absl::UnavailableError("the server process is gone");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ServerProcess::ReadLine() {
  std::optional<std::string> line = ReadLineFrom(from_child_);
  if (!line.has_value()) return absl::UnavailableError("the server process is gone");
  return *std::move(line);
}

absl::StatusOr<std::string> ServerProcess::Ask(const std::string& question) {
  absl::Status sent = WriteLine(question);
  if (!sent.ok()) return sent;
  return ReadLine();
}

std::optional<std::string> ReadLineFrom(FILE* in) {
  char line[256];
  if (std::fgets(line, sizeof(line), in) == nullptr) return std::nullopt;
  std::string text(line);
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

double ServerProcess::RssMiB() const {
  return StatusFieldMiB(absl::StrCat("/proc/", pid_, "/status"), "VmRSS");
}

double ServerProcess::CpuSeconds() const {
  std::ifstream stat_file(absl::StrCat("/proc/", pid_, "/stat"));
  std::string stat;
  std::getline(stat_file, stat);
  // Fields after the command name (which may hold spaces) start after the last ')':
  // state is the first of them, utime and stime the 12th and 13th.
  const size_t name_end = stat.rfind(')');
  if (name_end == std::string::npos) return 0;
  std::vector<std::string> fields = absl::StrSplit(stat.substr(name_end + 2), ' ');
  uint64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return 0;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace baton::testing
