// Thread scheduling: which Linux policy a thread of ours runs under, and why.
//
// The adapter's threads that receive unary calls and run their handlers put themselves
// under SCHED_BATCH (ServerAdapter::Options::pool.batch_scheduling, on by default; a
// service's --batch_scheduling=false). Under SCHED_BATCH a thread woken on a busy CPU
// does not preempt the thread running there: it runs when that thread's time slice
// ends, or at once on an idle CPU. So a server with CPU to spare answers as fast as
// ever, while a saturated one stops trading a running handler for each arrival — the
// arrivals that come while handlers run are read together when a slice ends, one
// wake-up for many instead of two context switches each, and under overload that CPU
// goes to handlers (docs/benchmarks.md §8). The price, only while every CPU is busy: an
// arrival, or a caller's cancel, is seen up to one time slice later (milliseconds).
//
// A thread inherits its creator's policy. Threads whose job is to react — the one that
// fires deadlines, the one that sends storage cancels — are started lazily, often by a
// handler or a poller, and leave an inherited SCHED_BATCH as they start, so that a
// deadline or a cancel takes the CPU from a busy handler at once. Threads that gRPC
// starts lazily from our threads keep what they inherit.
//
// Each function acts on the calling thread only (on Linux, pid 0 in
// sched_setscheduler is the calling thread).
#ifndef BATON_COMMON_CONTEXT_THREAD_SCHEDULING_H_
#define BATON_COMMON_CONTEXT_THREAD_SCHEDULING_H_

namespace baton {

// Puts the calling thread under SCHED_BATCH. False when the kernel refuses (a sandbox
// that forbids it, or a thread under SCHED_IDLE without the right to leave it): the
// thread keeps its policy, which changes how fast a saturated server is, never what
// it answers.
bool ScheduleThisThreadAsBatch();

// Whether this machine lets a thread of this process take SCHED_BATCH: tried on a
// short-lived thread of its own, so the caller's policy is untouched.
bool BatchSchedulingAllowed();

// If the calling thread is under SCHED_BATCH, puts it back under the default policy
// (SCHED_OTHER); any other policy (a real-time one, say) is left as it is.
void LeaveInheritedBatchScheduling();

}  // namespace baton

#endif  // BATON_COMMON_CONTEXT_THREAD_SCHEDULING_H_
