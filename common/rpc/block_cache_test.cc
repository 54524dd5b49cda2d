#include "common/rpc/block_cache.h"

#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace baton::rpc {
namespace {

constexpr size_t kCallSize = 2304;

class BlockCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!BlockCacheKeeps()) GTEST_SKIP() << "nothing is kept under AddressSanitizer";
  }
};

TEST_F(BlockCacheTest, HandsAFreedBlockOutAgain) {
  void* first = BlockCacheAllocate(kCallSize);
  std::memset(first, 0xab, kCallSize);
  BlockCacheFree(first, kCallSize);
  void* second = BlockCacheAllocate(kCallSize);
  EXPECT_EQ(second, first);
  BlockCacheFree(second, kCallSize);
}

TEST_F(BlockCacheTest, KeepsSizesApart) {
  void* small = BlockCacheAllocate(kCallSize);
  BlockCacheFree(small, kCallSize);
  void* large = BlockCacheAllocate(2 * kCallSize);
  EXPECT_NE(large, small);
  std::memset(large, 0xcd, 2 * kCallSize);  // All of it is usable.
  BlockCacheFree(large, 2 * kCallSize);
  EXPECT_EQ(BlockCacheAllocate(kCallSize), small);
  BlockCacheFree(small, kCallSize);
}

TEST_F(BlockCacheTest, KeepsNoMoreThanItsBoundAndFreesTheRest) {
  std::vector<void*> blocks;
  for (size_t i = 0; i < 2 * kKeptPerSize; ++i) blocks.push_back(BlockCacheAllocate(kCallSize));
  for (void* block : blocks) BlockCacheFree(block, kCallSize);
  // The first kKeptPerSize freed are kept and come back; the rest were freed.
  const std::set<void*> kept(blocks.begin(), blocks.begin() + kKeptPerSize);
  std::vector<void*> again;
  for (size_t i = 0; i < kKeptPerSize; ++i) again.push_back(BlockCacheAllocate(kCallSize));
  for (void* block : again) EXPECT_EQ(kept.count(block), 1u);
  for (void* block : again) BlockCacheFree(block, kCallSize);
}

TEST_F(BlockCacheTest, SizesBeyondItsShelvesAreFreedAtOnce) {
  // On a thread of its own, so that its sizes take no shelf the other tests need.
  std::thread([] {
    std::vector<void*> kept;
    for (size_t i = 1; i <= kSizes + 3; ++i) {
      void* block = BlockCacheAllocate(i * 4096);
      std::memset(block, 0, i * 4096);
      BlockCacheFree(block, i * 4096);
      kept.push_back(block);
    }
    // The first kSizes sizes have shelves and get their block back.
    for (size_t i = 1; i <= kSizes; ++i) {
      void* block = BlockCacheAllocate(i * 4096);
      EXPECT_EQ(block, kept[i - 1]);
      BlockCacheFree(block, i * 4096);
    }
  }).join();
}

TEST_F(BlockCacheTest, ABlockFreedOnAnotherThreadJoinsThatThreadsCache) {
  void* block = BlockCacheAllocate(kCallSize);
  void* reused = nullptr;
  std::thread other([&] {
    BlockCacheFree(block, kCallSize);
    reused = BlockCacheAllocate(kCallSize);
    BlockCacheFree(reused, kCallSize);
  });  // The thread's cache, and the block in it, go with the thread.
  other.join();
  EXPECT_EQ(reused, block);
}

}  // namespace
}  // namespace baton::rpc
