#include "common/testing/h2load_client.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/testing/server_process.h"

namespace baton::testing {
namespace {

// The number before `label` in a "requests: 10 total, 10 started, ..." line.
std::optional<int64_t> CountBefore(std::string_view line, std::string_view label) {
  for (absl::string_view part : absl::StrSplit(absl::string_view(line.data(), line.size()), ',')) {
    std::vector<absl::string_view> words =
        absl::StrSplit(part, ' ', absl::SkipEmpty());
    if (words.size() >= 2 && words.back() == absl::string_view(label.data(), label.size())) {
      int64_t value = 0;
      if (absl::SimpleAtoi(words[words.size() - 2], &value)) return value;
    }
  }
  return std::nullopt;
}

// A file of its own for the request body, removed when this goes.
class TempFile {
 public:
  static absl::StatusOr<std::unique_ptr<TempFile>> Write(const std::string& contents) {
    const char* dir = std::getenv("TEST_TMPDIR");
    if (dir == nullptr) dir = std::getenv("TMPDIR");
    std::string path = absl::StrCat(dir != nullptr ? dir : "/tmp", "/h2load_request_XXXXXX");
    const int fd = mkstemp(path.data());
    if (fd < 0) {
      return absl::InternalError(absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
    }
    auto file = std::make_unique<TempFile>(std::move(path));
    size_t written = 0;
    while (written < contents.size()) {
      const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int error = errno;
        ::close(fd);
        return absl::InternalError(
            absl::StrCat("cannot write ", file->path(), ": ", std::strerror(error)));
      }
      written += static_cast<size_t>(n);
    }
    ::close(fd);
    return file;
  }
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  const std::string path_;
};

}  // namespace

absl::StatusOr<H2loadReport> ParseH2loadReport(std::string_view output) {
  H2loadReport report;
  bool have_rate = false;
  bool have_counts = false;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(output.data(), output.size()), '\n')) {
    if (absl::StartsWith(line, "finished in ")) {
      // "finished in 2.00s, 56288.95 req/s, 2.38MB/s"
      std::vector<absl::string_view> parts = absl::StrSplit(line, ", ");
      if (parts.size() >= 2 && absl::EndsWith(parts[1], " req/s") &&
          absl::SimpleAtod(parts[1].substr(0, parts[1].size() - 6), &report.requests_per_second)) {
        have_rate = true;
      }
    } else if (absl::StartsWith(line, "requests: ")) {
      const std::string_view text(line.data(), line.size());
      std::optional<int64_t> done = CountBefore(text, "done");
      std::optional<int64_t> succeeded = CountBefore(text, "succeeded");
      std::optional<int64_t> failed = CountBefore(text, "failed");
      std::optional<int64_t> errored = CountBefore(text, "errored");
      if (done && succeeded && failed && errored) {
        report.done = *done;
        report.succeeded = *succeeded;
        report.failed = *failed;
        report.errored = *errored;
        have_counts = true;
      }
    }
  }
  if (!have_rate || !have_counts) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an h2load report (no \"finished in\" and \"requests:\" lines): ",
                     absl::string_view(output.data(), std::min<size_t>(output.size(), 300))));
  }
  return report;
}

std::optional<std::string> FindH2load() {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "/usr/bin", ':')) {
    if (dir.empty()) continue;
    std::string candidate = absl::StrCat(dir, "/h2load");
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::string H2loadDuration(absl::Duration duration) {
  return absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(duration)), "ms");
}

std::string GrpcFrame(std::string_view message) {
  std::string frame(5, '\0');
  const uint32_t size = static_cast<uint32_t>(message.size());
  for (int i = 0; i < 4; ++i) frame[1 + i] = static_cast<char>((size >> (24 - 8 * i)) & 0xff);
  frame.append(message);
  return frame;
}

absl::StatusOr<H2loadRun> RunH2loadUnary(const std::string& address,
                                          const std::string& method_path,
                                          const std::string& serialized_request, int streams,
                                          absl::Duration duration, int cpu) {
  std::optional<std::string> h2load = FindH2load();
  if (!h2load.has_value()) {
    return absl::FailedPreconditionError(
        "h2load is not installed (Debian package nghttp2-client: tools/install_deps.sh bench)");
  }
  absl::StatusOr<std::unique_ptr<TempFile>> body = TempFile::Write(GrpcFrame(serialized_request));
  if (!body.ok()) return body.status();
  const std::vector<std::string> args = {
      absl::StrCat("--duration=", H2loadDuration(duration)),
      "--clients=1",
      "--threads=1",
      absl::StrCat("--max-concurrent-streams=", streams),
      absl::StrCat("--data=", (*body)->path()),
      "--header=content-type: application/grpc",
      "--header=te: trailers",
      "--header=grpc-timeout: 5S",
      absl::StrCat("http://", address, method_path),
  };
  absl::StatusOr<std::unique_ptr<ServerProcess>> process = ServerProcess::Start(*h2load, args, cpu);
  if (!process.ok()) return process.status();
  std::string output;
  while (true) {
    absl::StatusOr<std::string> line = (*process)->ReadLine();
    if (!line.ok()) break;  // h2load has exited.
    absl::StrAppend(&output, *line, "\n");
  }
  H2loadRun run;
  // Exited but not yet waited for: its /proc entry still holds its CPU time.
  run.cpu_seconds = (*process)->CpuSeconds();
  absl::StatusOr<H2loadReport> report = ParseH2loadReport(output);
  if (!report.ok()) {
    // h2load writes its errors to stderr, which it shares with this process.
    return absl::Status(report.status().code(),
                        absl::StrCat("h2load (", *h2load, ", pinned to CPU ", cpu,
                                     ") gave no report; its errors, if any, are above. ",
                                     report.status().message()));
  }
  if (run.cpu_seconds <= 0) {
    return absl::InternalError("cannot read h2load's CPU time from /proc");
  }
  if (report->failed > 0 || report->errored > 0 || report->succeeded == 0) {
    return absl::UnavailableError(absl::StrCat("h2load: ", report->succeeded, " succeeded, ",
                                               report->failed, " failed, ", report->errored,
                                               " errored"));
  }
  run.report = *report;
  return run;
}

}  // namespace baton::testing
