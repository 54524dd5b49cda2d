#include "common/rpc/call_poller.h"

#include <utility>

#include "common/context/thread_scheduling.h"

namespace baton::rpc {

CallPoller::CallPoller(std::unique_ptr<grpc::ServerCompletionQueue> queue, int threads,
                       bool batch_scheduling)
    : queue_(std::move(queue)), handler_places_(threads - 1) {
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this, batch_scheduling] {
      if (batch_scheduling) ScheduleThisThreadAsBatch();
      Poll();
    });
  }
}

CallPoller::~CallPoller() {
  queue_->Shutdown();
  for (std::thread& thread : threads_) thread.join();
}

bool CallPoller::ClaimHandlerPlace() {
  int running = handlers_running_.load(std::memory_order_relaxed);
  do {
    if (running >= handler_places_) return false;
  } while (!handlers_running_.compare_exchange_weak(running, running + 1,
                                                    std::memory_order_relaxed));
  return true;
}

void CallPoller::ReleaseHandlerPlace() {
  handlers_running_.fetch_sub(1, std::memory_order_relaxed);
}

void CallPoller::Poll() {
  void* tag = nullptr;
  bool ok = false;
  while (queue_->Next(&tag, &ok)) static_cast<PollerTag*>(tag)->Complete(ok);
}

}  // namespace baton::rpc
