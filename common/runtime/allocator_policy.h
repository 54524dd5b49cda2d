// Allocator policy: how a Baton server process has glibc's malloc give memory back to
// the kernel, and why.
//
// glibc returns the free memory at the top of a malloc arena to the kernel as soon as
// it passes 128 KiB (M_TRIM_THRESHOLD's default). A server under steady load frees its
// calls' memory — gRPC's per-call arenas, several KiB each — in a rolling window, so the
// top of an arena keeps crossing that line: each crossing returns pages that the next
// calls fault back in. In the adapter benchmark's server (docs/benchmarks.md §2) that was
// ~100 trims and 8–37 thousand page faults every 4 s at 60k calls/s, and 6–8% of its QPS.
//
// The policy keeps up to kRetainedFreeBytes free at the top of each arena instead. The
// cost is bounded: at most that much per arena (glibc makes at most 8 per CPU, and a
// process uses about one per busy thread), and only after the process has once used
// it. Memory in the middle of an arena, and blocks large enough for glibc to map on
// their own, are unaffected.
//
// An operator's own setting wins: with MALLOC_TRIM_THRESHOLD_ set, or a
// glibc.malloc.trim_threshold tunable in GLIBC_TUNABLES, the policy leaves glibc alone.
//
// Process-wide. Call it once, early in main(); mallopt itself is thread-safe.
#ifndef BATON_COMMON_RUNTIME_ALLOCATOR_POLICY_H_
#define BATON_COMMON_RUNTIME_ALLOCATOR_POLICY_H_

#include <cstddef>
#include <string>

namespace baton::runtime {

inline constexpr size_t kRetainedFreeBytes = size_t{4} << 20;

// Applies the policy. Returns what holds now, for the startup log line: "4MiB kept",
// "operator's GLIBC_TUNABLES", "operator's MALLOC_TRIM_THRESHOLD_", "not glibc", or
// "refused by malloc" (a sanitizer's allocator may refuse it).
std::string ApplyAllocatorPolicy();

}  // namespace baton::runtime

#endif  // BATON_COMMON_RUNTIME_ALLOCATOR_POLICY_H_
