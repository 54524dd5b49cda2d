#include "common/rpc/call_poller.h"

#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpcpp/alarm.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"

namespace baton::rpc {
namespace {

// A poller with `threads` threads over the completion queue of a server with no ports
// and no services; the server shuts down first, as CallPoller requires.
class PollerOverIdleServer {
 public:
  explicit PollerOverIdleServer(int threads) {
    grpc::ServerBuilder builder;
    std::unique_ptr<grpc::ServerCompletionQueue> queue = builder.AddCompletionQueue();
    server_ = builder.BuildAndStart();
    poller_ = std::make_unique<CallPoller>(std::move(queue), threads,
                                           /*batch_scheduling=*/false);
  }
  ~PollerOverIdleServer() {
    server_->Shutdown();
    poller_.reset();
  }
  CallPoller& poller() { return *poller_; }

 private:
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<CallPoller> poller_;
};

TEST(CallPoller, HandlersOnPollersLeaveOnePollerFree) {
  PollerOverIdleServer idle(/*threads=*/3);
  CallPoller& poller = idle.poller();
  EXPECT_TRUE(poller.ClaimHandlerPlace());
  EXPECT_TRUE(poller.ClaimHandlerPlace());
  EXPECT_FALSE(poller.ClaimHandlerPlace());  // The third poller stays free to receive.
  poller.ReleaseHandlerPlace();
  EXPECT_TRUE(poller.ClaimHandlerPlace());
  poller.ReleaseHandlerPlace();
  poller.ReleaseHandlerPlace();
}

// A tag that records the thread it completes on and runs `then` there.
class RecordingTag final : public PollerTag {
 public:
  explicit RecordingTag(std::function<void()> then = [] {}) : then_(std::move(then)) {}
  void Complete(bool /*ok*/) override {
    thread_ = std::this_thread::get_id();
    then_();
    done_.Notify();
  }
  bool WaitFor(absl::Duration timeout) { return done_.WaitForNotificationWithTimeout(timeout); }
  bool completed() const { return done_.HasBeenNotified(); }
  std::thread::id thread() const { return thread_; }

 private:
  std::function<void()> then_;
  std::thread::id thread_;
  absl::Notification done_;
};

// Puts `tag` on the poller's queue at once: an alarm already past fires as it is set.
void PostNow(CallPoller& poller, grpc::Alarm& alarm, PollerTag* tag) {
  alarm.Set(poller.queue(),
            gpr_time_sub(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_seconds(1, GPR_TIMESPAN)),
            CallPoller::AsGrpcTag(tag));
}

TEST(CallPoller, OffAPollerAReplyIsNotHeld) {
  RecordingTag send;
  EXPECT_FALSE(CallPoller::HoldReply(&send));
  CallPoller::SendHeldReplies();  // Nothing to send, nothing done.
  EXPECT_FALSE(send.completed());
}

TEST(CallPoller, HeldRepliesGoOutOnTheSamePollerOnceNothingElseIsReady) {
  PollerOverIdleServer idle(/*threads=*/1);
  std::vector<int> sent;
  RecordingTag first([&] { sent.push_back(1); });
  RecordingTag second([&] { sent.push_back(2); });
  bool held = false;
  RecordingTag event([&] {
    held = CallPoller::HoldReply(&first) && CallPoller::HoldReply(&second);
    // Held: not sent while the event that finished them runs.
    EXPECT_FALSE(first.completed());
  });
  grpc::Alarm alarm;
  PostNow(idle.poller(), alarm, &event);
  ASSERT_TRUE(second.WaitFor(absl::Seconds(10)));
  EXPECT_TRUE(held);
  EXPECT_EQ(sent, (std::vector<int>{1, 2}));  // Oldest first.
  EXPECT_EQ(first.thread(), event.thread());
}

TEST(CallPoller, SendHeldRepliesSendsThemAtOnce) {
  PollerOverIdleServer idle(/*threads=*/1);
  RecordingTag reply;
  bool sent_before_returning = false;
  RecordingTag event([&] {
    ASSERT_TRUE(CallPoller::HoldReply(&reply));
    CallPoller::SendHeldReplies();  // What a poller does before a handler that may block.
    sent_before_returning = reply.completed();
  });
  grpc::Alarm alarm;
  PostNow(idle.poller(), alarm, &event);
  ASSERT_TRUE(event.WaitFor(absl::Seconds(10)));
  EXPECT_TRUE(sent_before_returning);
}

// An event that posts itself again at once until `until`: the queue always has one
// ready, so only the bound on how long a reply is held lets it out meanwhile.
class BusyChain final : public PollerTag {
 public:
  BusyChain(CallPoller& poller, absl::Time until) : poller_(poller), until_(until) {}
  void Start() { PostNow(poller_, alarm_, this); }
  void Complete(bool /*ok*/) override {
    if (absl::Now() < until_) {
      PostNow(poller_, alarm_, this);
      return;
    }
    done_.Notify();
  }
  bool WaitFor(absl::Duration timeout) { return done_.WaitForNotificationWithTimeout(timeout); }

 private:
  CallPoller& poller_;
  const absl::Time until_;
  grpc::Alarm alarm_;
  absl::Notification done_;
};

TEST(CallPoller, AReplyIsHeldNoLongerThanItsBoundWhileEventsKeepComing) {
  PollerOverIdleServer idle(/*threads=*/1);
  const absl::Time chain_ends = absl::Now() + absl::Milliseconds(20);
  BusyChain chain(idle.poller(), chain_ends);
  absl::Time held_at;
  absl::Time sent_at;
  RecordingTag reply([&] { sent_at = absl::Now(); });
  RecordingTag event([&] {
    chain.Start();  // Ready before this event ends.
    held_at = absl::Now();
    ASSERT_TRUE(CallPoller::HoldReply(&reply));
  });
  grpc::Alarm alarm;
  PostNow(idle.poller(), alarm, &event);
  ASSERT_TRUE(chain.WaitFor(absl::Seconds(10)));
  ASSERT_TRUE(reply.WaitFor(absl::Seconds(10)));
  // Let out by its bound while the chain still ran, not when the queue emptied.
  EXPECT_LT(sent_at, chain_ends);
  EXPECT_GE(sent_at - held_at, CallPoller::kMaxReplyHold);
}

TEST(CallPoller, OnePollerRunsNoHandler) {
  PollerOverIdleServer idle(/*threads=*/1);
  EXPECT_FALSE(idle.poller().ClaimHandlerPlace());
}

}  // namespace
}  // namespace baton::rpc
