#include "common/rpc/call_poller.h"

#include <utility>
#include <vector>

#include "absl/base/config.h"
#include "absl/time/clock.h"
#include "common/context/thread_scheduling.h"

#ifdef ABSL_HAVE_THREAD_SANITIZER
#include <sanitizer/tsan_interface.h>
#endif

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

namespace {

// The replies a poller's thread holds (CallPoller::HoldReply); null on other threads.
struct HeldReplies {
  std::vector<PollerTag*> sends;
  absl::Time oldest;
};
thread_local HeldReplies* held_on_this_thread = nullptr;

}  // namespace

void* CallPoller::AsGrpcTag(PollerTag* tag) {
#ifdef ABSL_HAVE_THREAD_SANITIZER
  __tsan_release(tag);
#endif
  return tag;
}

bool CallPoller::HoldReply(PollerTag* send) {
  HeldReplies* held = held_on_this_thread;
  if (held == nullptr) return false;
  if (held->sends.empty()) {
    held->oldest = absl::Now();
    held->sends.reserve(kMaxHeldReplies);  // One allocation for the batch.
  }
  held->sends.push_back(send);
  return true;
}

void CallPoller::SendHeldReplies() {
  HeldReplies* held = held_on_this_thread;
  if (held == nullptr) return;
  // Taken first: whatever a send leads to may hold a reply again.
  for (PollerTag* send : std::exchange(held->sends, {})) send->Complete(true);
}

void CallPoller::Poll() {
  HeldReplies held;
  held_on_this_thread = &held;
  void* tag = nullptr;
  bool ok = false;
  for (;;) {
    if (held.sends.empty()) {
      if (!queue_->Next(&tag, &ok)) break;
    } else if (held.sends.size() >= kMaxHeldReplies ||
               absl::Now() - held.oldest >= kMaxReplyHold) {
      SendHeldReplies();
      continue;
    } else {
      // Only a ready event may go before what is held.
      const grpc::CompletionQueue::NextStatus next =
          queue_->AsyncNext(&tag, &ok, gpr_time_0(GPR_CLOCK_MONOTONIC));
      if (next == grpc::CompletionQueue::SHUTDOWN) break;
      if (next == grpc::CompletionQueue::TIMEOUT) {
        SendHeldReplies();
        continue;
      }
    }
#ifdef ABSL_HAVE_THREAD_SANITIZER
    __tsan_acquire(tag);
#endif
    static_cast<PollerTag*>(tag)->Complete(ok);
  }
  SendHeldReplies();
  held_on_this_thread = nullptr;
}

}  // namespace baton::rpc
