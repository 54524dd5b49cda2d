#include "common/runtime/service_metrics.h"

#include <string>

#include "absl/strings/match.h"
#include "common/context/introspection.h"

namespace baton::runtime {

ServiceMetrics::ServiceMetrics(MetricsRegistry* registry)
    : requests_(registry->Counter("baton_requests_total", "Requests finished, by method and code.",
                                  {"method", "code"})),
      duration_(registry->Histogram("baton_request_duration_seconds",
                                    "Time from arrival to answer, by method.", {"method"},
                                    kLatencyBuckets)),
      budget_(registry->Histogram("baton_budget_at_arrival_seconds",
                                  "Deadline budget left when a request arrived, by method.",
                                  {"method"}, kBudgetBuckets)),
      refused_(registry->Counter("baton_requests_refused_total",
                                 "Requests answered without running their handler, by reason.",
                                 {"reason"})),
      storage_duration_(registry->Histogram("baton_storage_duration_seconds",
                                            "Time of storage calls, by operation.", {"operation"},
                                            kLatencyBuckets)),
      storage_interrupted_(registry->Counter(
          "baton_storage_interrupted_total",
          "Storage calls ended early because their Context was cancelled or expired.",
          {"operation"})),
      registry_(registry) {
  // Known reasons start at 0, so that rate() and alerts see them before the first one.
  for (const char* reason : {"expired_on_arrival", "below_min_budget", "shed", "queue_full",
                             "queue_behind", "expired_in_queue", "late_in_queue",
                             "draining"}) {
    refused_.Add({reason}, 0);
  }
}

void ServiceMetrics::Observe(const rpc::ServerAdapter* adapter) {
  registry_->Gauge("baton_requests_in_flight", "Requests received and not yet answered.",
                   [adapter] { return static_cast<double>(adapter->in_flight()); });
  registry_->Gauge("baton_streams_in_flight",
                   "Streaming calls whose handler holds a stream thread now.",
                   [adapter] { return static_cast<double>(adapter->stream_pool().busy()); });
  registry_->Gauge("baton_context_children",
                   "Cancellable Contexts registered under the server's root Context (one per "
                   "request in flight; growth beyond that is a leak).",
                   [adapter] { return static_cast<double>(RegisteredChildren(adapter->root())); });
  registry_->Gauge("baton_context_callbacks",
                   "AfterFunc callbacks waiting on the server's root Context.",
                   [adapter] { return static_cast<double>(PendingCallbacks(adapter->root())); });
  registry_->ObservedCounter(
      "baton_work_after_deadline_total",
      "Handlers that were still running when their request's deadline passed.",
      [adapter] { return static_cast<double>(adapter->stats().work_after_deadline.load()); });
}

void ServiceMetrics::ObserveStorage(const HookedDatabase* database) {
  registry_->Gauge("baton_storage_cursors_open",
                   "Storage cursors being read now (one per stream reading one).",
                   [database] { return static_cast<double>(database->open_cursors()); });
}

void ServiceMetrics::RecordRequest(const rpc::RequestLog& log) {
  requests_.Add({log.method, log.code});
  duration_.Observe({log.method}, absl::ToDoubleSeconds(log.duration));
  budget_.Observe({log.method}, absl::ToDoubleSeconds(log.budget_at_arrival));
  if (log.admission != "run" && !absl::StartsWith(log.admission, "observe:")) {
    refused_.Add({log.admission});
  }
}

void ServiceMetrics::RecordStorage(std::string_view operation, absl::Duration took,
                                   const absl::Status& status) {
  const std::string name(operation);
  storage_duration_.Observe({name}, absl::ToDoubleSeconds(took));
  if (status.code() == absl::StatusCode::kCancelled ||
      status.code() == absl::StatusCode::kDeadlineExceeded) {
    storage_interrupted_.Add({name});
  }
}

}  // namespace baton::runtime
