#include "common/runtime/shutdown_signal.h"

#include <pthread.h>
#include <unistd.h>

namespace baton::runtime {

ShutdownSignal::ShutdownSignal() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGINT);
  // SIGUSR1 carries Request(): delivered to this process, it wakes sigwait too.
  sigaddset(&signals_, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  // A shell starts background jobs with SIGINT ignored, and an ignored signal never
  // reaches sigwait: take the default back (harmless while blocked).
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGUSR1, SIG_DFL);
}

// The signals stay blocked: the process is on its way out, and a second SIGTERM that
// arrived during the drain (a supervisor repeating itself) must not turn a clean exit
// into death by signal when the mask is lifted.
ShutdownSignal::~ShutdownSignal() = default;

std::string ShutdownSignal::Wait() {
  int received = 0;
  while (sigwait(&signals_, &received) != 0) {
  }
  switch (received) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    default:
      return "requested";
  }
}

void ShutdownSignal::Request() { kill(getpid(), SIGUSR1); }

}  // namespace baton::runtime
