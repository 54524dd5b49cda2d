#include "common/storage/postgres/cancel_and_close.h"

#include <deque>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/context/thread_scheduling.h"

namespace baton::storage {
namespace {

class Sender {
 public:
  void Send(PGconn* conn) {
    absl::MutexLock lock(&mu_);
    if (!started_) {
      started_ = true;
      std::thread([this] { Run(); }).detach();  // Lives as long as the process.
    }
    queue_.push_back(conn);
  }

 private:
  void Run() {
    // Started by whichever thread first cancels, often one under SCHED_BATCH; a cancel
    // must reach the server at once, however busy the CPU (thread_scheduling.h).
    LeaveInheritedBatchScheduling();
    for (;;) {
      PGconn* conn = nullptr;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](std::deque<PGconn*>* q) { return !q->empty(); }, &queue_));
        conn = queue_.front();
        queue_.pop_front();
      }
      if (PGcancel* cancel = PQgetCancel(conn)) {
        char error[256];
        PQcancel(cancel, error, sizeof(error));
        PQfreeCancel(cancel);
      }
      PQfinish(conn);
    }
  }

  absl::Mutex mu_;
  std::deque<PGconn*> queue_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

void CancelAndCloseAsync(PGconn* conn) {
  if (conn == nullptr) return;
  // Never destroyed: its thread may be sending while the process exits.
  static Sender& sender = *std::make_unique<Sender>().release();
  sender.Send(conn);
}

}  // namespace baton::storage
