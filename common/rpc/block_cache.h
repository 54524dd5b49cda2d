// A per-thread cache of freed memory blocks, for objects made and freed once per call.
//
//   static void* operator new(size_t size) { return BlockCacheAllocate(size); }
//   static void operator delete(void* block, size_t size) { BlockCacheFree(block, size); }
//
// A unary call's object (UnaryCall) is about 2 KB, most of it gRPC's ServerContext and
// response writer. glibc's own per-thread cache takes nothing over 1 KB, so each call
// allocated and freed through its allocator's slow path, and with dozens of calls in
// flight also paid for its consolidation of freed chunks. Here each thread keeps up to
// kKeptPerSize freed blocks of each of up to kSizes sizes, and hands them out again; a
// block freed on another thread than the one that allocated it joins the freeing
// thread's cache, as with glibc's.
//
// Thread-safe: a thread touches only its own cache, which is freed when the thread
// exits. Blocks are aligned as operator new aligns them. Under AddressSanitizer
// nothing is kept (BlockCacheKeeps() is false), so that a use after free is still
// caught.
#ifndef BATON_COMMON_RPC_BLOCK_CACHE_H_
#define BATON_COMMON_RPC_BLOCK_CACHE_H_

#include <cstddef>

namespace baton::rpc {

inline constexpr size_t kKeptPerSize = 64;
inline constexpr size_t kSizes = 4;

// Whether freed blocks are kept (not under AddressSanitizer).
bool BlockCacheKeeps();

// A block of `size` bytes: a cached one if this thread has one of that size.
void* BlockCacheAllocate(size_t size);
// Gives back a block BlockCacheAllocate(size) returned, with the same size.
void BlockCacheFree(void* block, size_t size);

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_BLOCK_CACHE_H_
