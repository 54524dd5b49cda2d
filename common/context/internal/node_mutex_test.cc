#include "common/context/internal/node_mutex.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace baton::context_internal {
namespace {

TEST(NodeMutex, ExcludesUnderContention) {
  NodeMutex mu;
  long counter = 0;  // Plain: only the lock protects it (TSan checks that).
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        std::lock_guard<NodeMutex> lock(mu);
        ++counter;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counter, 4 * 20000);
}

TEST(NodeMutex, SleepingWaiterIsWoken) {
  NodeMutex mu;
  mu.lock();
  bool acquired = false;
  std::thread waiter([&] {
    std::lock_guard<NodeMutex> lock(mu);  // Spins, then sleeps until unlock().
    acquired = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  mu.unlock();
  waiter.join();
  EXPECT_TRUE(acquired);
}

TEST(NodeMutex, WorksWithConditionVariableAny) {
  NodeMutex mu;
  std::condition_variable_any changed;
  bool ready = false;
  std::thread setter([&] {
    std::lock_guard<NodeMutex> lock(mu);
    ready = true;
    changed.notify_all();
  });
  {
    std::unique_lock<NodeMutex> lock(mu);
    changed.wait(lock, [&] { return ready; });
  }
  setter.join();
  EXPECT_TRUE(ready);
}

}  // namespace
}  // namespace baton::context_internal
