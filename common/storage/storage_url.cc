#include "common/storage/storage_url.h"

#include <charconv>

#include "absl/strings/str_cat.h"

namespace baton::storage {
namespace {

constexpr size_t kMaxUrl = 4096;

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

absl::Status Invalid(std::string_view url, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("storage URL \"", absl::string_view(url.data(), url.size()), "\": ",
                   absl::string_view(why.data(), why.size())));
}

bool Printable(std::string_view text) {
  for (char c : text) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<StorageUrl> ParseStorageUrl(std::string_view url) {
  if (url.size() > kMaxUrl) return Invalid(url.substr(0, 64), "longer than 4096 bytes");
  if (!Printable(url)) return Invalid("", "contains spaces or control characters");
  StorageUrl out;
  if (url == "sqlite::memory:") {
    out.path = ":memory:";
    return out;
  }
  if (StartsWith(url, "sqlite://")) {
    out.path = std::string(url.substr(9));
    if (out.path.empty()) return Invalid(url, "no file path after sqlite://");
    if (out.path.back() == '/') return Invalid(url, "the path names a directory");
    return out;
  }
  if (StartsWith(url, "postgres://") || StartsWith(url, "postgresql://")) {
    out.backend = StorageUrl::Backend::kPostgres;
    std::string_view rest = url.substr(url.find("://") + 3);
    const size_t at = rest.find('@');
    if (at != std::string_view::npos) {
      out.user = std::string(rest.substr(0, at));
      if (out.user.empty()) return Invalid(url, "empty user before '@'");
      if (out.user.find(':') != std::string::npos) {
        return Invalid(url, "passwords do not belong in the URL (use ~/.pgpass)");
      }
      rest = rest.substr(at + 1);
    }
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return Invalid(url, "no /database");
    std::string_view host_port = rest.substr(0, slash);
    out.database = std::string(rest.substr(slash + 1));
    if (out.database.empty()) return Invalid(url, "empty database name");
    const size_t colon = host_port.rfind(':');
    if (colon == std::string_view::npos) return Invalid(url, "no :port after the host");
    out.host = std::string(host_port.substr(0, colon));
    if (out.host.empty()) return Invalid(url, "empty host");
    std::string_view port = host_port.substr(colon + 1);
    int value = 0;
    auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (error != std::errc() || end != port.data() + port.size() || value < 1 ||
        value > 65535) {
      return Invalid(url, "port must be 1..65535");
    }
    out.port = value;
    return out;
  }
  return Invalid(url, "expected sqlite://PATH, sqlite::memory: or postgres://USER@HOST:PORT/DB");
}

}  // namespace baton::storage
