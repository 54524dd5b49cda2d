// PostgresServer: a throwaway PostgreSQL for tests — initdb into a temporary
// directory, a free loopback port, trust authentication, no fsync — stopped and
// removed when the object goes. Run as root, the server runs as the `postgres` user
// (PostgreSQL refuses to run as root).
#ifndef BATON_COMMON_STORAGE_TESTING_POSTGRES_SERVER_H_
#define BATON_COMMON_STORAGE_TESTING_POSTGRES_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace baton::storage::testing {

class PostgresServer {
 public:
  // FAILED_PRECONDITION when PostgreSQL's binaries are missing (tools/install_deps.sh
  // installs them), UNAVAILABLE when the server would not start. `cpu` >= 0 pins the
  // server and its backends to that CPU (benchmarks: a database on a core of its own,
  // as it would be on a machine of its own).
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start(int cpu = -1);
  ~PostgresServer();

  // postgres://baton@127.0.0.1:PORT/postgres
  std::string Url() const;
  // A libpq conninfo string for the same database.
  std::string Conninfo() const;

  // Stops the server (a fast shutdown: sessions are cut off) and starts it again on the
  // same port and data, as an operator's restart would.
  absl::Status Restart();

  PostgresServer(std::string dir, int port, pid_t pid) : dir_(dir), port_(port), pid_(pid) {}

 private:
  absl::Status Launch(int cpu);
  void Stop();

  std::string dir_;
  int port_;
  pid_t pid_;
};

}  // namespace baton::storage::testing

#endif  // BATON_COMMON_STORAGE_TESTING_POSTGRES_SERVER_H_
