#include "common/context/internal/node_arena.h"

#include <atomic>
#include <memory>
#include <new>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

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

// The depot of one size class: full batches of blocks that one thread freed beyond its
// cache, waiting for a thread whose cache ran dry — a request's nodes are often made
// on one thread (the one a call arrives on) and freed on another (the one that
// finishes it). Its lock is taken once per kBatch blocks moved; `batches_held` lets a
// thread with an empty cache see an empty depot without taking it.
struct Depot {
  absl::Mutex mu;
  FreeBlock* batches[NodeArena::kDepotBatches] ABSL_GUARDED_BY(mu) = {};
  int count ABSL_GUARDED_BY(mu) = 0;
  // `count`, readable without the lock (a hint: checked again under it).
  std::atomic<int> batches_held{0};
};

Depot& DepotFor(size_t c) {
  // Intentionally never destroyed: nodes are freed during static destruction too.
  static Depot* const depots = std::make_unique<Depot[]>(NodeArena::kClasses).release();
  return depots[c];
}

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

// Moves kBatch blocks from this thread's cache of class `c` to the depot, or back to
// the allocator when the depot is full.
void SpillBatch(size_t c) {
  FreeBlock* batch = cache.head[c];
  FreeBlock* last = batch;
  for (int i = 1; i < NodeArena::kBatch; ++i) last = last->next;
  cache.head[c] = last->next;
  cache.count[c] -= NodeArena::kBatch;
  last->next = nullptr;
  {
    Depot& depot = DepotFor(c);
    absl::MutexLock lock(&depot.mu);
    if (depot.count < NodeArena::kDepotBatches) {
      depot.batches[depot.count++] = batch;
      depot.batches_held.store(depot.count, std::memory_order_relaxed);
      return;
    }
  }
  while (batch != nullptr) {
    FreeBlock* next = batch->next;
    ::operator delete(batch);
    batch = next;
  }
}

// Refills this thread's empty cache of class `c` with a batch from the depot; whether
// there was one.
bool RefillFromDepot(size_t c) {
  Depot& depot = DepotFor(c);
  if (depot.batches_held.load(std::memory_order_relaxed) == 0) return false;
  absl::MutexLock lock(&depot.mu);
  if (depot.count == 0) return false;
  cache.head[c] = depot.batches[--depot.count];
  cache.count[c] = NodeArena::kBatch;
  depot.batches_held.store(depot.count, std::memory_order_relaxed);
  return true;
}

}  // namespace

void* NodeArena::Allocate(size_t size) {
  const size_t c = ClassOf(size);
  if (!NodeArena::kCaches || c >= kClasses) return ::operator new(size);
  if (cache.head[c] == nullptr) {
    if (cache.exiting) return ::operator new((c + 1) * kClassSize);
    drainer.Arm();  // So the blocks this thread caches are freed at its exit.
    if (!RefillFromDepot(c)) return ::operator new((c + 1) * kClassSize);
  }
  FreeBlock* block = cache.head[c];
  cache.head[c] = block->next;
  --cache.count[c];
  return block;
}

void NodeArena::Free(void* block, size_t size) {
  const size_t c = ClassOf(size);
  if (!NodeArena::kCaches || c >= kClasses || cache.exiting) {
    ::operator delete(block);
    return;
  }
  drainer.Arm();  // This thread may only ever free: its cache must still be drained.
  if (cache.count[c] >= kCachedPerClass) SpillBatch(c);
  FreeBlock* free_block = static_cast<FreeBlock*>(block);
  free_block->next = cache.head[c];
  cache.head[c] = free_block;
  ++cache.count[c];
}

int NodeArena::DepotBatches(size_t size) {
  const size_t c = ClassOf(size);
  if (c >= kClasses) return 0;
  Depot& depot = DepotFor(c);
  absl::MutexLock lock(&depot.mu);
  return depot.count;
}

}  // namespace baton::context_internal
