// MetricsRegistry: a service's metrics, exposed in Prometheus text format.
//
// One registry per process, made by the runtime and handed to what records into it
// (the documented registry the style allows; there is no global one). Families are
// created at start-up; recording is lock-light and safe from any thread:
//
//   CounterFamily& requests = registry.Counter("baton_requests_total", "...",
//                                              {"method", "code"});
//   requests.Add({"PlaceOrder", "OK"});
//   HistogramFamily& latency = registry.Histogram("baton_request_duration_seconds",
//                                                 "...", {"method"}, kLatencyBuckets);
//   latency.Observe({"PlaceOrder"}, 0.0042);
//   registry.Gauge("baton_requests_in_flight", "...", [&] { return in_flight(); });
//
// Expose() renders every family, sorted by name, series sorted by labels.
#ifndef BATON_COMMON_RUNTIME_METRICS_METRICS_REGISTRY_H_
#define BATON_COMMON_RUNTIME_METRICS_METRICS_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/runtime/metrics/prometheus_text.h"

namespace baton::runtime {

// Seconds: 0.5 ms to 10 s.
extern const std::vector<double> kLatencyBuckets;
// Seconds of budget: 1 ms to 60 s.
extern const std::vector<double> kBudgetBuckets;

class CounterFamily {
 public:
  explicit CounterFamily(std::vector<std::string> label_names)
      : label_names_(std::move(label_names)) {}
  // `label_values` in the order of the family's label names.
  void Add(const std::vector<std::string>& label_values, double amount = 1);
  void Write(const std::string& name, PrometheusText& out) const;

 private:
  const std::vector<std::string> label_names_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, double> values_ ABSL_GUARDED_BY(mu_);
};

class HistogramFamily {
 public:
  HistogramFamily(std::vector<std::string> label_names, std::vector<double> bounds)
      : label_names_(std::move(label_names)), bounds_(std::move(bounds)) {}
  void Observe(const std::vector<std::string>& label_values, double value);
  void Write(const std::string& name, PrometheusText& out) const;

 private:
  struct Series {
    std::vector<uint64_t> counts;
    double sum = 0;
  };
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, Series> series_ ABSL_GUARDED_BY(mu_);
};

class MetricsRegistry {
 public:
  CounterFamily& Counter(const std::string& name, const std::string& help,
                         std::vector<std::string> label_names = {});
  HistogramFamily& Histogram(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names, std::vector<double> bounds);
  // Read when scraped: a gauge, or a counter kept elsewhere (e.g. the adapter's stats).
  void Gauge(const std::string& name, const std::string& help, std::function<double()> read);
  void ObservedCounter(const std::string& name, const std::string& help,
                       std::function<double()> read);

  std::string Expose() const;

 private:
  struct Family {
    std::string type;
    std::string help;
    std::unique_ptr<CounterFamily> counter;
    std::unique_ptr<HistogramFamily> histogram;
    std::function<double()> read;
  };
  Family& Add(const std::string& name, Family family);

  mutable absl::Mutex mu_;
  std::map<std::string, Family> families_ ABSL_GUARDED_BY(mu_);
};

}  // namespace baton::runtime

#endif  // BATON_COMMON_RUNTIME_METRICS_METRICS_REGISTRY_H_
