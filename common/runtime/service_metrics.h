// ServiceMetrics: what every service reports on its metrics port (metrics/), fed by
// the adapter's request log, its counters, and the storage hooks.
//
//   baton_requests_total{method,code}               requests finished
//   baton_request_duration_seconds{method}          latency histogram
//   baton_budget_at_arrival_seconds{method}         budget left when requests arrived
//   baton_requests_refused_total{reason}            not run: expired_on_arrival,
//                                                   below_min_budget, shed, queue_full,
//                                                   queue_behind, expired_in_queue,
//                                                   late_in_queue, draining
//   baton_work_after_deadline_total                 handlers still running at their deadline
//   baton_requests_in_flight                        gauge
//   baton_storage_duration_seconds{operation}       query / execute / transaction
//   baton_storage_interrupted_total{operation}      storage calls the Context ended
//
// Thread safety: Record* may be called from any thread.
#ifndef BATON_COMMON_RUNTIME_SERVICE_METRICS_H_
#define BATON_COMMON_RUNTIME_SERVICE_METRICS_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/rpc/request_log.h"
#include "common/rpc/server_adapter.h"
#include "common/runtime/hooked_database.h"
#include "common/runtime/metrics/metrics_registry.h"

namespace baton::runtime {

class ServiceMetrics {
 public:
  // Declares the families in `registry`; both must outlive this.
  explicit ServiceMetrics(MetricsRegistry* registry);
  // The adapter's live counters (in flight, work after deadline), read when scraped.
  void Observe(const rpc::ServerAdapter* adapter);
  // The database's open cursors, read when scraped.
  void ObserveStorage(const HookedDatabase* database);

  void RecordRequest(const rpc::RequestLog& log);
  void RecordStorage(std::string_view operation, absl::Duration took, const absl::Status& status);

 private:
  CounterFamily& requests_;
  HistogramFamily& duration_;
  HistogramFamily& budget_;
  CounterFamily& refused_;
  HistogramFamily& storage_duration_;
  CounterFamily& storage_interrupted_;
  MetricsRegistry* const registry_;
};

}  // namespace baton::runtime

#endif  // BATON_COMMON_RUNTIME_SERVICE_METRICS_H_
