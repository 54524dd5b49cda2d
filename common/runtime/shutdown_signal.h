// ShutdownSignal: SIGTERM and SIGINT, received as an event instead of a handler.
//
// The constructor blocks both signals in the calling thread — make it first thing in
// main(), before any thread starts, so every thread inherits the mask and the signals
// wait for Wait() instead of killing the process mid-request. Wait() returns the
// signal's name once one arrives (or "requested" after Request()).
//
// Thread safety: Wait() from one thread; Request() from any.
#ifndef BATON_COMMON_RUNTIME_SHUTDOWN_SIGNAL_H_
#define BATON_COMMON_RUNTIME_SHUTDOWN_SIGNAL_H_

#include <signal.h>

#include <string>

namespace baton::runtime {

class ShutdownSignal {
 public:
  ShutdownSignal();
  ~ShutdownSignal();  // Leaves the signals blocked (see shutdown_signal.cc).
  ShutdownSignal(const ShutdownSignal&) = delete;
  ShutdownSignal& operator=(const ShutdownSignal&) = delete;

  std::string Wait();
  // Makes Wait() return as if a signal had arrived.
  void Request();

 private:
  sigset_t signals_;
};

}  // namespace baton::runtime

#endif  // BATON_COMMON_RUNTIME_SHUTDOWN_SIGNAL_H_
