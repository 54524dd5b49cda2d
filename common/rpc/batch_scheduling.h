// Batch scheduling: how the adapter's threads ask Linux to schedule them.
//
// A server's own threads — the pollers that read arrivals and cancels, and the workers
// that run handlers — run under SCHED_BATCH when the adapter's options say so (the
// default). Under SCHED_BATCH a thread woken on a busy CPU does not preempt the thread
// running there; it runs when that thread's time slice ends. On an idle CPU it runs at
// once, as before. So a server with CPU to spare answers as fast as ever, and a
// saturated one stops trading a running handler for each arrival: the arrivals that
// come while handlers run are read together at the slice's end, one wake-up and one
// read for many instead of two context switches each. Under 3× overload that CPU goes
// to handlers, and goodput rises (docs/benchmarks.md §8).
//
// The price, only while every CPU is busy: an arrival or a cancel is seen up to one
// time slice later (a few milliseconds). Turn it off (the pools' batch_scheduling
// option; a service's --batch_scheduling=false) for a service that must react faster
// than that on a saturated machine.
//
// The policy is the calling thread's own: threads it starts afterwards inherit it.
#ifndef BATON_COMMON_RPC_BATCH_SCHEDULING_H_
#define BATON_COMMON_RPC_BATCH_SCHEDULING_H_

namespace baton::rpc {

// Puts the calling thread under SCHED_BATCH. False when the kernel refuses (a sandbox
// that forbids sched_setscheduler): the thread then keeps its policy, which changes
// how fast a saturated server is, never what it answers.
bool ScheduleThisThreadAsBatch();

}  // namespace baton::rpc

#endif  // BATON_COMMON_RPC_BATCH_SCHEDULING_H_
