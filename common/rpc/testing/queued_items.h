// Queued work for WorkerPool's tests: an item that records what happened to it, and a
// one-worker pool kept busy so that a test can fill the queue behind it.
//
// Thread safety: an Item is run or dropped by the pool's threads; the test reads its
// fields after waiting on its notifications.
#ifndef BATON_COMMON_RPC_TESTING_QUEUED_ITEMS_H_
#define BATON_COMMON_RPC_TESTING_QUEUED_ITEMS_H_

#include <sched.h>

#include <cstddef>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/context/context.h"
#include "common/rpc/worker_pool.h"
#include "gtest/gtest.h"

namespace baton::rpc::testing {

// An item that records what happened to it; Run() may block until released.
class Item final : public QueuedWork {
 public:
  explicit Item(Context ctx, absl::Notification* release = nullptr)
      : ctx_(std::move(ctx)), release_(release) {}
  const Context& context() const override { return ctx_; }
  void Run() override {
    policy = sched_getscheduler(0);
    if (order != nullptr) order->push_back(this);
    started.Notify();
    if (release_ != nullptr) release_->WaitForNotification();
    absl::SleepFor(busy_for);
    ran = true;
    finished.Notify();
  }
  void Drop(absl::Status why) override {
    dropped = std::move(why);
    finished.Notify();
  }

  absl::Notification started;
  absl::Notification finished;
  bool ran = false;
  // The scheduling policy of the thread that ran it.
  int policy = -1;
  absl::Status dropped;
  // How long Run() takes (after any release).
  absl::Duration busy_for = absl::ZeroDuration();
  // Where Run() records itself, if set (one worker: no lock needed).
  std::vector<const Item*>* order = nullptr;

 private:
  Context ctx_;
  absl::Notification* release_;
};

inline WorkerPool::Options OneWorker(size_t bound, size_t shed) {
  WorkerPool::Options options;
  options.threads = 1;
  options.queue_bound = bound;
  options.shed_threshold = shed;
  return options;
}

// Keeps a one-worker pool's only worker busy until Release() (or destruction), so that
// a test can fill the queue behind it.
class OccupiedWorker {
 public:
  explicit OccupiedWorker(WorkerPool& pool) : busy_(Background(), &release_) {
    EXPECT_EQ(pool.Submit(&busy_, Criticality::kCritical), WorkerPool::Admission::kQueued);
    busy_.started.WaitForNotification();
  }
  ~OccupiedWorker() {
    Release();
    busy_.finished.WaitForNotification();
  }
  void Release() {
    if (!release_.HasBeenNotified()) release_.Notify();
  }
  Item& item() { return busy_; }

 private:
  absl::Notification release_;
  Item busy_;
};

}  // namespace baton::rpc::testing

#endif  // BATON_COMMON_RPC_TESTING_QUEUED_ITEMS_H_
