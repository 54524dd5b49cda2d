// NodeMutex: the 4-byte lock inside each cancellable Context node.
//
// Internal to common/context. A three-state lock (0 free, 1 held, 2 held with
// waiters) on Linux futexes, with a short spin before sleeping; an uncontended unlock
// is a plain store (unlock() says what that costs). Its lock() and unlock() are
// inlined into the derive/cancel paths, where a libc mutex call was half the cost of
// WithCancel + cancel; critical sections there are a few pointer updates, so waiting
// is rare and short. Meets BasicLockable, for std::lock_guard, std::unique_lock and
// std::condition_variable_any.
//
// (Not absl::Mutex: Debian builds Abseil without NDEBUG, so every absl::Mutex lock
// runs deadlock detection — 44 ns per lock/unlock here.)
#ifndef BATON_COMMON_CONTEXT_INTERNAL_NODE_MUTEX_H_
#define BATON_COMMON_CONTEXT_INTERNAL_NODE_MUTEX_H_

#include <atomic>
#include <cstdint>

namespace baton::context_internal {

class NodeMutex {
 public:
  NodeMutex() = default;
  NodeMutex(const NodeMutex&) = delete;
  NodeMutex& operator=(const NodeMutex&) = delete;

  void lock() {
    uint32_t expected = kFree;
    if (!state_.compare_exchange_strong(expected, kHeld, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
      LockSlow();
    }
  }

  void unlock() {
    // Uncontended: a plain store, no read-modify-write (the common case, and a third of
    // the atomic instructions of WithCancel + cancel). A waiter that marks the lock
    // contended between the load and the store is not woken by it; it sleeps with a
    // timeout, so it finds the lock free shortly after (see LockSlow).
    if (state_.load(std::memory_order_relaxed) == kHeld) {
      state_.store(kFree, std::memory_order_release);
      return;
    }
    UnlockSlow();
  }

 private:
  static constexpr uint32_t kFree = 0;
  static constexpr uint32_t kHeld = 1;
  static constexpr uint32_t kContended = 2;

  void LockSlow();
  void UnlockSlow();

  std::atomic<uint32_t> state_{kFree};
};

}  // namespace baton::context_internal

#endif  // BATON_COMMON_CONTEXT_INTERNAL_NODE_MUTEX_H_
