#include "common/rpc/block_cache.h"

#include <array>
#include <memory>
#include <vector>

namespace baton::rpc {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kKeepBlocks = false;
#else
constexpr bool kKeepBlocks = true;
#endif

void* AllocateFresh(size_t size) { return std::allocator<std::byte>().allocate(size); }

void FreeNow(void* block, size_t size) {
  std::allocator<std::byte>().deallocate(static_cast<std::byte*>(block), size);
}

// Set when this thread's cache is gone: a block freed later in the thread's exit (by
// another thread-local's destructor) is freed at once. Trivially destructible, so it
// can still be read then.
thread_local bool cache_gone = false;

class ThreadCache {
 public:
  ~ThreadCache() {
    cache_gone = true;
    for (Shelf& shelf : shelves_) {
      for (void* block : shelf.blocks) FreeNow(block, shelf.size);
    }
  }

  void* Take(size_t size) {
    Shelf* shelf = Find(size);
    if (shelf == nullptr || shelf->blocks.empty()) return AllocateFresh(size);
    void* block = shelf->blocks.back();
    shelf->blocks.pop_back();
    return block;
  }

  void Keep(void* block, size_t size) {
    Shelf* shelf = Find(size);
    if (shelf == nullptr) shelf = Claim(size);
    if (shelf == nullptr || shelf->blocks.size() >= kKeptPerSize) {
      FreeNow(block, size);
      return;
    }
    shelf->blocks.push_back(block);
  }

 private:
  struct Shelf {
    size_t size = 0;  // 0: unused.
    std::vector<void*> blocks;
  };

  Shelf* Find(size_t size) {
    for (Shelf& shelf : shelves_) {
      if (shelf.size == size) return &shelf;
    }
    return nullptr;
  }

  // An unused shelf for `size`, or null when all are taken by other sizes.
  Shelf* Claim(size_t size) {
    for (Shelf& shelf : shelves_) {
      if (shelf.size == 0) {
        shelf.size = size;
        shelf.blocks.reserve(kKeptPerSize);
        return &shelf;
      }
    }
    return nullptr;
  }

  std::array<Shelf, kSizes> shelves_;
};

ThreadCache* ThisThreadsCache() {
  if (!kKeepBlocks || cache_gone) return nullptr;
  thread_local ThreadCache cache;
  return &cache;
}

}  // namespace

bool BlockCacheKeeps() { return kKeepBlocks; }

void* BlockCacheAllocate(size_t size) {
  ThreadCache* cache = ThisThreadsCache();
  return cache != nullptr ? cache->Take(size) : AllocateFresh(size);
}

void BlockCacheFree(void* block, size_t size) {
  if (block == nullptr) return;
  ThreadCache* cache = ThisThreadsCache();
  if (cache != nullptr) {
    cache->Keep(block, size);
  } else {
    FreeNow(block, size);
  }
}

}  // namespace baton::rpc
