#include "common/runtime/metrics/prometheus_text.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace baton::runtime {
namespace {

bool NameChar(char c, bool first, bool colon_ok) {
  if (absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_') return true;
  if (colon_ok && c == ':') return true;
  return !first && absl::ascii_isdigit(static_cast<unsigned char>(c));
}

bool ValidName(std::string_view name, bool colon_ok) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!NameChar(name[i], i == 0, colon_ok)) return false;
  }
  return true;
}

void AppendEscaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
}

void AppendSeries(std::string& out, std::string_view name, const Labels& labels,
                  const std::pair<std::string, std::string>* extra) {
  out.append(name.data(), name.size());
  if (labels.empty() && extra == nullptr) return;
  out.push_back('{');
  bool first = true;
  auto add = [&](const std::string& label, const std::string& value) {
    if (!first) out.push_back(',');
    first = false;
    out += label;
    out += "=\"";
    AppendEscaped(out, value, /*quote=*/true);
    out.push_back('"');
  };
  for (const auto& [label, value] : labels) add(label, value);
  if (extra != nullptr) add(extra->first, extra->second);
  out.push_back('}');
}

}  // namespace

bool ValidMetricName(std::string_view name) { return ValidName(name, /*colon_ok=*/true); }
bool ValidLabelName(std::string_view name) { return ValidName(name, /*colon_ok=*/false); }

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrFormat("%.0f", value);
  }
  // The shortest form that reads back as the same double: 0.0005, not 0.00050000000000000001.
  for (int precision = 1; precision < 17; ++precision) {
    std::string text = absl::StrFormat("%.*g", precision, value);
    if (std::strtod(text.c_str(), nullptr) == value) return text;
  }
  return absl::StrFormat("%.17g", value);
}

void PrometheusText::Family(std::string_view name, std::string_view type, std::string_view help) {
  absl::StrAppend(&text_, "# HELP ", std::string(name), " ");
  AppendEscaped(text_, help, /*quote=*/false);
  absl::StrAppend(&text_, "\n# TYPE ", std::string(name), " ", std::string(type), "\n");
}

void PrometheusText::Sample(std::string_view name, const Labels& labels, double value) {
  AppendSeries(text_, name, labels, nullptr);
  absl::StrAppend(&text_, " ", FormatValue(value), "\n");
}

void PrometheusText::Histogram(std::string_view name, const Labels& labels,
                               const std::vector<double>& bounds,
                               const std::vector<uint64_t>& counts, double sum) {
  const std::string bucket = absl::StrCat(std::string(name), "_bucket");
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += i < counts.size() ? counts[i] : 0;
    const std::pair<std::string, std::string> le = {
        "le", i < bounds.size() ? FormatValue(bounds[i]) : "+Inf"};
    AppendSeries(text_, bucket, labels, &le);
    absl::StrAppend(&text_, " ", cumulative, "\n");
  }
  AppendSeries(text_, absl::StrCat(std::string(name), "_sum"), labels, nullptr);
  absl::StrAppend(&text_, " ", FormatValue(sum), "\n");
  AppendSeries(text_, absl::StrCat(std::string(name), "_count"), labels, nullptr);
  absl::StrAppend(&text_, " ", cumulative, "\n");
}

}  // namespace baton::runtime
