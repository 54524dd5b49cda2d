// Allocator policy: how a Baton server process has glibc's malloc give memory back to
// the kernel, and why.
//
// glibc returns the free memory at the top of a malloc arena to the kernel as soon as
// it passes 128 KiB (M_TRIM_THRESHOLD's default). A server under steady load frees its
// calls' memory — gRPC's per-call arenas, several KiB each — in a rolling window, so the
// top of an arena keeps crossing that line: each crossing returns pages that the next
// calls fault back in. In the adapter benchmark's server (docs/benchmarks.md §2) that was
// 100–1,400 trims and 8–87 thousand page faults every 4 s at 60k calls/s (+0.01–0.04 of
// its QPS ratio to the bare server once gone).
//
// The policy keeps up to kRetainedFreeBytes free at the top of each arena instead. The
// cost is bounded: at most that much per arena (glibc makes at most 8 per CPU, and a
// process uses about one per busy thread), and only after the process has once used
// it. Memory in the middle of an arena is unaffected.
//
// Setting any of glibc's thresholds stops glibc from adjusting its mmap threshold by
// itself (from 128 KiB up to the largest block it has mapped and freed, so that a
// server's large messages soon come from the heap). So the policy sets that threshold
// too, to kRetainedFreeBytes: blocks below it come from the heap, above it each is
// mapped on its own, as glibc's own adjustment would settle for messages up to that
// size.
//
// An operator's own setting wins: with any of MALLOC_TRIM_THRESHOLD_,
// MALLOC_MMAP_THRESHOLD_, MALLOC_TOP_PAD_ or MALLOC_MMAP_MAX_ set, or the matching
// glibc.malloc tunable in GLIBC_TUNABLES, the policy leaves glibc alone.
//
// Process-wide. Call it once, early in main(); mallopt itself is thread-safe.
#ifndef BATON_COMMON_RUNTIME_ALLOCATOR_POLICY_H_
#define BATON_COMMON_RUNTIME_ALLOCATOR_POLICY_H_

#include <cstddef>
#include <string>

namespace baton::runtime {

inline constexpr size_t kRetainedFreeBytes = size_t{4} << 20;

// Applies the policy. Returns what holds now, for the startup log line: "4MiB kept",
// "operator's GLIBC_TUNABLES", "operator's MALLOC_..._" (the variable's name), "not
// glibc", or "refused by malloc" (a sanitizer's allocator may refuse it).
std::string ApplyAllocatorPolicy();

}  // namespace baton::runtime

#endif  // BATON_COMMON_RUNTIME_ALLOCATOR_POLICY_H_
