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
  pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
}

ShutdownSignal::~ShutdownSignal() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

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
