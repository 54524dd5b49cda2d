#include "common/context/internal/node_mutex.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

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
  // Then sleep, marking the lock contended so unlock() wakes a sleeper. An unlock
  // that read "held" just before this mark does not wake it (unlock() says why), so
  // the sleep is bounded and the lock tried again.
  while (state_.exchange(kContended, std::memory_order_acquire) != kFree) {
    const timespec bound = {0, 200'000};  // 200 µs.
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_), FUTEX_WAIT_PRIVATE, kContended,
            &bound, nullptr, 0);
  }
}

void NodeMutex::UnlockSlow() {
  state_.store(kFree, std::memory_order_release);
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_), FUTEX_WAKE_PRIVATE, 1, nullptr,
          nullptr, 0);
}

}  // namespace baton::context_internal
