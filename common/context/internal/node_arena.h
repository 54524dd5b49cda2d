// NodeArena: where Context nodes live — per-thread caches of fixed-size blocks.
//
// Internal to common/context. Deriving and dropping Contexts is the hot path of every
// request, and a request makes and frees a handful of small nodes. Each thread keeps
// up to kCachedPerClass freed blocks per size class (64-byte steps up to 512 bytes),
// so a node is usually made and freed without touching the general allocator or any
// lock. A block may be freed on any thread; it joins that thread's cache. A thread
// whose cache is full hands kBatch blocks at a time to a process-wide depot (one lock
// per batch), where a thread whose cache ran dry takes them — so that nodes made on one
// thread and freed on another still come back without the allocator; the depot holds
// up to kDepotBatches batches per size class (at most about 4.5 MiB of free blocks in
// all, kept for the process's life), and beyond that, or once a thread is exiting,
// blocks go back to the allocator. The depot is process-wide mutable state on purpose,
// like the allocator it stands in front of, and is never destroyed: nodes are freed
// during static destruction too (the real clock's timer thread is never stopped).
//
// Thread safety: Allocate and Free may be called from any thread; a block may be freed
// on a thread other than the one that allocated it.
// Under AddressSanitizer every block comes straight from the allocator, so ASan still
// sees each node's lifetime.
#ifndef BATON_COMMON_CONTEXT_INTERNAL_NODE_ARENA_H_
#define BATON_COMMON_CONTEXT_INTERNAL_NODE_ARENA_H_

#include <cstddef>
#include <memory>
#include <utility>

namespace baton::context_internal {

class NodeArena {
 public:
#if defined(__SANITIZE_ADDRESS__)
  static constexpr bool kCaches = false;
#else
  static constexpr bool kCaches = true;
#endif
  static constexpr size_t kClassSize = 64;
  static constexpr size_t kClasses = 8;  // Blocks up to 512 bytes are cached.
  static constexpr int kCachedPerClass = 256;
  static constexpr int kBatch = 64;
  static constexpr int kDepotBatches = 32;
  static_assert(kBatch <= kCachedPerClass, "a full cache must hold a whole batch");

  static void* Allocate(size_t size);
  static void Free(void* block, size_t size);
  // Batches waiting in the depot for blocks of `size` (for tests).
  static int DepotBatches(size_t size);
};

// Makes a T in arena memory; the caller owns it and ends it with DestroyInArena.
template <typename T, typename... Args>
T* MakeInArena(Args&&... args) {
  void* block = NodeArena::Allocate(sizeof(T));
  return std::construct_at(static_cast<T*>(block), std::forward<Args>(args)...);
}

template <typename T>
void DestroyInArena(const T* object) {
  T* mutable_object = const_cast<T*>(object);
  std::destroy_at(mutable_object);
  NodeArena::Free(mutable_object, sizeof(T));
}

}  // namespace baton::context_internal

#endif  // BATON_COMMON_CONTEXT_INTERNAL_NODE_ARENA_H_
