// BackgroundWork: work a request owes after its answer — a cleanup that must happen
// even though the caller is gone (e.g. releasing a reservation) — run on a few threads
// of its own so that the answer is not held up by it.
//
// Tasks carry their own Context (normally WithoutCancel of the request's, with a short
// deadline of its own): this class never cancels them; it only runs them.
//
// Bounded: when `queue_bound` tasks are already waiting, Run() runs the task on the
// caller's thread instead (the caller is slowed, nothing is dropped). The runtime
// drains it on shutdown after the last request has ended, so owed work is done before
// the process exits; what is still queued at the drain deadline is dropped and counted.
//
// Thread safety: every method may be called from any thread.
#ifndef BATON_COMMON_RUNTIME_BACKGROUND_WORK_H_
#define BATON_COMMON_RUNTIME_BACKGROUND_WORK_H_

#include <cstddef>
#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace baton::runtime {

class BackgroundWork {
 public:
  struct Options {
    int threads = 2;
    size_t queue_bound = 1024;
  };

  explicit BackgroundWork(Options options);
  ~BackgroundWork();  // Drain(now): waits for running tasks, drops queued ones.
  BackgroundWork(const BackgroundWork&) = delete;
  BackgroundWork& operator=(const BackgroundWork&) = delete;

  void Run(absl::AnyInvocable<void() &&> task);

  // Stops taking tasks (later Run() calls run inline), finishes the queue until
  // `deadline`, then drops what is left and joins the threads. Returns how many queued
  // tasks were dropped. Idempotent.
  size_t Drain(absl::Time deadline);

 private:
  void Work();

  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> queue_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  size_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  const size_t queue_bound_;
  std::vector<std::thread> threads_;
};

}  // namespace baton::runtime

#endif  // BATON_COMMON_RUNTIME_BACKGROUND_WORK_H_
