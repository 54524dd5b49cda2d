#include "common/runtime/metrics/metrics_registry.h"

#include <algorithm>
#include <cstdlib>

namespace baton::runtime {
namespace {

Labels Zip(const std::vector<std::string>& names, const std::vector<std::string>& values) {
  Labels labels;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    labels.emplace_back(names[i], values[i]);
  }
  return labels;
}

}  // namespace

const std::vector<double> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};
const std::vector<double> kBudgetBuckets = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                            0.5,   1,     2.5,  5,     10,   30,  60};

void CounterFamily::Add(const std::vector<std::string>& label_values, double amount) {
  absl::MutexLock lock(&mu_);
  values_[label_values] += amount;
}

void CounterFamily::Write(const std::string& name, PrometheusText& out) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [values, total] : values_) out.Sample(name, Zip(label_names_, values), total);
}

void HistogramFamily::Observe(const std::vector<std::string>& label_values, double value) {
  const size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  absl::MutexLock lock(&mu_);
  Series& series = series_[label_values];
  if (series.counts.empty()) series.counts.resize(bounds_.size() + 1);
  ++series.counts[bucket];
  series.sum += value;
}

void HistogramFamily::Write(const std::string& name, PrometheusText& out) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [values, series] : series_) {
    out.Histogram(name, Zip(label_names_, values), bounds_, series.counts, series.sum);
  }
}

MetricsRegistry::Family& MetricsRegistry::Add(const std::string& name, Family family) {
  // Families are declared by the program itself: a bad or repeated name is a bug.
  if (!ValidMetricName(name)) std::abort();
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = families_.emplace(name, std::move(family));
  if (!inserted) std::abort();
  return it->second;
}

CounterFamily& MetricsRegistry::Counter(const std::string& name, const std::string& help,
                                        std::vector<std::string> label_names) {
  for (const std::string& label : label_names) {
    if (!ValidLabelName(label)) std::abort();
  }
  return *Add(name, {"counter", help, std::make_unique<CounterFamily>(std::move(label_names)),
                     nullptr, nullptr})
              .counter;
}

HistogramFamily& MetricsRegistry::Histogram(const std::string& name, const std::string& help,
                                            std::vector<std::string> label_names,
                                            std::vector<double> bounds) {
  for (const std::string& label : label_names) {
    if (!ValidLabelName(label) || label == "le") std::abort();
  }
  return *Add(name, {"histogram", help, nullptr,
                     std::make_unique<HistogramFamily>(std::move(label_names), std::move(bounds)),
                     nullptr})
              .histogram;
}

void MetricsRegistry::Gauge(const std::string& name, const std::string& help,
                            std::function<double()> read) {
  Add(name, {"gauge", help, nullptr, nullptr, std::move(read)});
}

void MetricsRegistry::ObservedCounter(const std::string& name, const std::string& help,
                                      std::function<double()> read) {
  Add(name, {"counter", help, nullptr, nullptr, std::move(read)});
}

std::string MetricsRegistry::Expose() const {
  PrometheusText out;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, family] : families_) {
    out.Family(name, family.type, family.help);
    if (family.counter) family.counter->Write(name, out);
    if (family.histogram) family.histogram->Write(name, out);
    if (family.read) out.Sample(name, {}, family.read());
  }
  return out.text();
}

}  // namespace baton::runtime
