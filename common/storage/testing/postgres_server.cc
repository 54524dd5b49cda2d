#include "common/storage/testing/postgres_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include <postgresql/libpq-fe.h>

namespace baton::storage::testing {
namespace {

std::string FindBinDir() {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", error)) {
    const std::string bin = entry.path().string() + "/bin";
    if (std::filesystem::exists(bin + "/initdb")) return bin;
  }
  return "";
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

// argv, prefixed with runuser when we are root.
std::vector<std::string> AsServerUser(std::vector<std::string> argv) {
  if (getuid() != 0) return argv;
  std::vector<std::string> wrapped = {"/usr/sbin/runuser", "-u", "postgres", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

// `cpu` >= 0 pins the child (and everything it forks) to that CPU.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log, int cpu = -1) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (cpu >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      sched_setaffinity(0, sizeof(set), &set);
    }
    FILE* out = std::fopen(log.c_str(), "a");
    if (out != nullptr) {
      dup2(fileno(out), STDOUT_FILENO);
      dup2(fileno(out), STDERR_FILENO);
    }
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start(int cpu) {
  const std::string bin = FindBinDir();
  if (bin.empty()) {
    return absl::FailedPreconditionError(
        "PostgreSQL is not installed (tools/install_deps.sh installs Debian's postgresql)");
  }
  // Under /tmp, not the test's own tmpdir: the postgres user must reach it.
  char pattern[] = "/tmp/baton-pg-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return absl::UnavailableError("mkdtemp failed");
  const std::string dir = pattern;
  if (getuid() == 0) {
    if (passwd* user = getpwnam("postgres")) {
      if (chown(dir.c_str(), user->pw_uid, user->pw_gid) != 0) {
        return absl::UnavailableError("cannot hand the data directory to postgres");
      }
    }
  }
  const std::string log = dir + "/server.log";
  const pid_t initdb = Spawn(AsServerUser({bin + "/initdb", "-D", dir + "/data", "-A", "trust",
                                           "-U", "baton", "--no-sync", "-E", "UTF8"}),
                             log);
  int status = 0;
  waitpid(initdb, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::UnavailableError(absl::StrCat("initdb failed; see ", log));
  }
  auto instance = std::make_unique<PostgresServer>(dir, FreePort(), -1);
  if (absl::Status launched = instance->Launch(cpu); !launched.ok()) return launched;
  return instance;
}

absl::Status PostgresServer::Launch(int cpu) {
  const std::string bin = FindBinDir();
  const std::string log = dir_ + "/server.log";
  pid_ = Spawn(
      AsServerUser({bin + "/postgres", "-D", dir_ + "/data", "-p", std::to_string(port_), "-k",
                    dir_, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                    "max_connections=50"}),
      log, cpu);
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (PQping(Conninfo().c_str()) != PQPING_OK) {
    if (absl::Now() > give_up) {
      return absl::UnavailableError(absl::StrCat("postgres did not start; see ", log));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::OkStatus();
}

void PostgresServer::Stop() {
  if (pid_ <= 0) return;
  // pg_ctl waits for the fast shutdown; the signal covers a server pg_ctl cannot reach.
  const std::string bin = FindBinDir();
  int status = 0;
  const pid_t stop = Spawn(AsServerUser({bin + "/pg_ctl", "stop", "-D", dir_ + "/data", "-m",
                                         "fast", "-w", "-t", "20"}),
                           dir_ + "/server.log");
  waitpid(stop, &status, 0);
  kill(pid_, SIGTERM);
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

absl::Status PostgresServer::Restart() {
  Stop();
  return Launch(-1);
}

PostgresServer::~PostgresServer() {
  Stop();
  std::error_code error;
  std::filesystem::remove_all(dir_, error);
}

std::string PostgresServer::Url() const {
  return absl::StrCat("postgres://baton@127.0.0.1:", port_, "/postgres");
}

std::string PostgresServer::Conninfo() const {
  return absl::StrCat("host=127.0.0.1 port=", port_, " dbname=postgres user=baton");
}

}  // namespace baton::storage::testing
