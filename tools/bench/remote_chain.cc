#include "tools/bench/remote_chain.h"

#include <cstdio>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace baton::bench {

using ::baton::testing::ServerProcess;
using ::baton::testing::ServeLines;

absl::StatusOr<std::unique_ptr<RemoteChain>> RemoteChain::Start(
    const std::string& program, const std::vector<std::string>& args, int cpu) {
  absl::StatusOr<std::unique_ptr<ServerProcess>> process = ServerProcess::Start(program, args, cpu);
  if (!process.ok()) return process.status();
  absl::StatusOr<std::string> address = (*process)->ReadLine();
  if (!address.ok()) {
    return absl::UnavailableError(
        absl::StrCat(program, " did not say its address: ", address.status().message()));
  }
  return std::make_unique<RemoteChain>(std::move(*process), std::move(*address));
}

absl::StatusOr<int64_t> RemoteChain::Runs() {
  absl::StatusOr<std::string> answer = process_->Ask("runs");
  if (!answer.ok()) return answer.status();
  int64_t runs = 0;
  if (!absl::SimpleAtoi(*answer, &runs)) {
    return absl::InternalError(absl::StrCat("\"runs\" was answered with: ", *answer));
  }
  return runs;
}

bool RemoteChain::WaitForQuiet() { return process_->Ask("quiet").value_or("") == "quiet"; }

absl::StatusOr<std::vector<HopWaste>> RemoteChain::Waste() {
  absl::StatusOr<std::string> line = process_->Ask("waste");
  if (!line.ok()) return line.status();
  std::vector<int64_t> numbers;
  for (absl::string_view field : absl::StrSplit(*line, ' ', absl::SkipEmpty())) {
    int64_t number = 0;
    if (!absl::SimpleAtoi(field, &number)) {
      return absl::InternalError(absl::StrCat("\"waste\" was answered with: ", *line));
    }
    numbers.push_back(number);
  }
  if (numbers.empty() || numbers.size() % 3 != 0) {
    return absl::InternalError(absl::StrCat("\"waste\" was answered with: ", *line));
  }
  std::vector<HopWaste> hops;
  for (size_t i = 0; i < numbers.size(); i += 3) {
    hops.push_back(
        {.started = numbers[i], .cut_short = numbers[i + 1], .cpu_ns_after_deadline = numbers[i + 2]});
  }
  return hops;
}

void ServeChain(Chain& chain) {
  std::printf("%s\n", chain.address().c_str());
  std::fflush(stdout);
  ServeLines([&chain](const std::string& question) -> std::string {
    if (question == "runs") return absl::StrCat(chain.waste(0).pieces_started.load());
    if (question == "quiet") return chain.WaitForQuiet(absl::Seconds(30)) ? "quiet" : "busy";
    if (question == "waste") {
      return absl::StrJoin(chain.WasteNow(), " ", [](std::string* out, const HopWaste& hop) {
        absl::StrAppend(out, hop.started, " ", hop.cut_short, " ", hop.cpu_ns_after_deadline);
      });
    }
    return "unknown question: " + question;
  });
}

}  // namespace baton::bench
