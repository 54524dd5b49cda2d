#include "common/storage/postgres/cancel_sender.h"

#include <deque>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace baton::storage {
namespace {

class Sender {
 public:
  void Send(PGcancel* cancel) {
    absl::MutexLock lock(&mu_);
    if (!started_) {
      started_ = true;
      std::thread([this] { Run(); }).detach();  // Lives as long as the process.
    }
    queue_.push_back(cancel);
  }

 private:
  void Run() {
    for (;;) {
      PGcancel* cancel = nullptr;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](std::deque<PGcancel*>* q) { return !q->empty(); }, &queue_));
        cancel = queue_.front();
        queue_.pop_front();
      }
      char error[256];
      PQcancel(cancel, error, sizeof(error));
      PQfreeCancel(cancel);
    }
  }

  absl::Mutex mu_;
  std::deque<PGcancel*> queue_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

void SendCancelAsync(PGcancel* cancel) {
  if (cancel == nullptr) return;
  // Never destroyed: its thread may be sending while the process exits.
  static Sender& sender = *std::make_unique<Sender>().release();
  sender.Send(cancel);
}

}  // namespace baton::storage
