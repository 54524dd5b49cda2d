#include "common/context/internal/node_arena.h"

#include <new>

namespace baton::context_internal {
namespace {

struct FreeBlock {
  FreeBlock* next;
};

// Trivially destructible, so it stays usable while the thread's other thread_local
// objects are destroyed; `exiting` turns the cache off from then on.
struct ThreadCache {
  FreeBlock* head[NodeArena::kClasses];
  int count[NodeArena::kClasses];
  bool exiting;
};
thread_local ThreadCache cache;

// Returns the cached blocks to the allocator when the thread exits.
struct CacheDrainer {
  // Any use makes the thread register the destructor below.
  void Arm() {}
  ~CacheDrainer() {
    cache.exiting = true;
    for (size_t c = 0; c < NodeArena::kClasses; ++c) {
      while (FreeBlock* block = cache.head[c]) {
        cache.head[c] = block->next;
        ::operator delete(block);
      }
      cache.count[c] = 0;
    }
  }
};
thread_local CacheDrainer drainer;

size_t ClassOf(size_t size) { return (size - 1) / NodeArena::kClassSize; }

}  // namespace

void* NodeArena::Allocate(size_t size) {
  const size_t c = ClassOf(size);
  if (!NodeArena::kCaches || c >= kClasses) return ::operator new(size);
  if (FreeBlock* block = cache.head[c]) {
    cache.head[c] = block->next;
    --cache.count[c];
    return block;
  }
  drainer.Arm();  // So the blocks this thread caches later are freed at its exit.
  return ::operator new((c + 1) * kClassSize);
}

void NodeArena::Free(void* block, size_t size) {
  const size_t c = ClassOf(size);
  if (!NodeArena::kCaches || c >= kClasses) {
    ::operator delete(block);
    return;
  }
  if (cache.exiting || cache.count[c] >= kCachedPerClass) {
    ::operator delete(block);
    return;
  }
  drainer.Arm();  // This thread may only ever free: its cache must still be drained.
  FreeBlock* free_block = static_cast<FreeBlock*>(block);
  free_block->next = cache.head[c];
  cache.head[c] = free_block;
  ++cache.count[c];
}

}  // namespace baton::context_internal
