#include "common/context/internal/node_mutex.h"

namespace baton::context_internal {
namespace {

void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

void NodeMutex::LockSlow() {
  // Spin briefly: the holder is usually a few instructions from unlocking.
  for (int spin = 0; spin < 64; ++spin) {
    uint32_t expected = kFree;
    if (state_.load(std::memory_order_relaxed) == kFree &&
        state_.compare_exchange_weak(expected, kHeld, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
      return;
    }
    CpuRelax();
  }
  // Then sleep, marking the lock contended so unlock() wakes a sleeper.
  while (state_.exchange(kContended, std::memory_order_acquire) != kFree) {
    state_.wait(kContended, std::memory_order_relaxed);
  }
}

}  // namespace baton::context_internal
