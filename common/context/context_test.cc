#include "common/context/context.h"

#include <poll.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/context/fake_clock.h"
#include "common/context/introspection.h"
#include "gtest/gtest.h"

namespace baton {
namespace {

constexpr ContextKey<std::string> kName("name");
constexpr ContextKey<int> kNumber("number");
// Same type and name as kName, but a different key.
constexpr ContextKey<std::string> kOtherName("name");

TEST(Background, IsNeverDoneAndHasNoDeadline) {
  Context ctx = Background();
  EXPECT_TRUE(ctx.Err().ok());
  EXPECT_FALSE(ctx.IsDone());
  EXPECT_EQ(ctx.Deadline(), absl::InfiniteFuture());
  EXPECT_EQ(ctx.Remaining(), absl::InfiniteDuration());
  EXPECT_EQ(ctx.Value(kName), nullptr);
  EXPECT_TRUE(Cause(ctx).ok());
  EXPECT_FALSE(ctx.WaitFor(absl::Milliseconds(1)));
  EXPECT_EQ(*ctx.DoneFd(), -1);
  EXPECT_EQ(&ctx.clock(), &Clock::Real());
}

TEST(WithCancel, CancelMakesDoneWithCanceled) {
  auto [ctx, cancel] = WithCancel(Background());
  EXPECT_TRUE(ctx.Err().ok());
  cancel();
  EXPECT_TRUE(ctx.IsDone());
  EXPECT_EQ(ctx.Err().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(ctx.Err().message(), "context canceled");
  EXPECT_EQ(Cause(ctx), ctx.Err());
}

TEST(WithCancel, CancelTwiceIsHarmless) {
  auto [ctx, cancel] = WithCancel(Background());
  cancel();
  cancel();
  EXPECT_EQ(ctx.Err().code(), absl::StatusCode::kCancelled);
}

TEST(WithCancel, DroppingTheHandleCancels) {
  Context ctx;
  {
    auto derived = WithCancel(Background());
    ctx = derived.context;
  }
  EXPECT_EQ(ctx.Err().code(), absl::StatusCode::kCancelled);
}

TEST(WithCancel, MovedHandleCancelsOnlyOnce) {
  auto [ctx, cancel] = WithCancel(Background());
  CancelHandle moved = std::move(cancel);
  EXPECT_FALSE(ctx.IsDone());
  moved.Cancel();
  EXPECT_TRUE(ctx.IsDone());
}

TEST(WithCancel, AssigningOverAHandleCancelsItsContext) {
  auto [first, cancel] = WithCancel(Background());
  auto second = WithCancel(Background());
  cancel = std::move(second.cancel);
  EXPECT_TRUE(first.IsDone());
  EXPECT_FALSE(second.context.IsDone());
  cancel();
  EXPECT_TRUE(second.context.IsDone());
}

TEST(WithCancel, ParentCancelReachesEveryDescendant) {
  auto [parent, cancel_parent] = WithCancel(Background());
  auto [child, cancel_child] = WithCancel(parent);
  Context valued = WithValue(child, kNumber, 7);
  auto [grandchild, cancel_grandchild] = WithCancel(valued);
  cancel_parent();
  EXPECT_EQ(child.Err().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(valued.Err().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(grandchild.Err().code(), absl::StatusCode::kCancelled);
}

TEST(WithCancel, ChildCancelLeavesParentLive) {
  auto [parent, cancel_parent] = WithCancel(Background());
  auto [child, cancel_child] = WithCancel(parent);
  cancel_child();
  EXPECT_TRUE(child.IsDone());
  EXPECT_FALSE(parent.IsDone());
}

TEST(WithCancel, ChildOfDoneParentIsBornDone) {
  auto [parent, cancel_parent] = WithCancelCause(Background());
  cancel_parent(absl::AbortedError("shutting down"));
  auto [child, cancel_child] = WithCancel(parent);
  EXPECT_EQ(child.Err().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(Cause(child), absl::AbortedError("shutting down"));
  EXPECT_EQ(RegisteredChildren(parent), 0u);
}

TEST(WithCancel, CancelledOrDestroyedChildrenLeaveTheParent) {
  auto [parent, cancel_parent] = WithCancel(Background());
  {
    std::vector<DerivedContext<CancelHandle>> children;
    for (int i = 0; i < 100; ++i) children.push_back(WithCancel(parent));
    EXPECT_EQ(RegisteredChildren(parent), 100u);
    for (int i = 0; i < 50; ++i) children[i].cancel();
    EXPECT_EQ(RegisteredChildren(parent), 50u);
  }
  EXPECT_EQ(RegisteredChildren(parent), 0u);
  // A child that is neither cancelled nor reachable any more also leaves.
  for (int i = 0; i < 1000; ++i) {
    auto [child, cancel] = WithTimeout(parent, absl::Hours(1));
    Context valued = WithValue(child, kNumber, i);
    EXPECT_EQ(RegisteredChildren(parent), 1u);
  }
  EXPECT_EQ(RegisteredChildren(parent), 0u);
}

TEST(WithCancelCause, RecordsCause) {
  auto [ctx, cancel] = WithCancelCause(Background());
  EXPECT_TRUE(Cause(ctx).ok());
  cancel(absl::UnavailableError("backend gone"));
  EXPECT_EQ(ctx.Err().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(Cause(ctx), absl::UnavailableError("backend gone"));
}

TEST(WithCancelCause, OkCauseMeansCanceled) {
  auto [ctx, cancel] = WithCancelCause(Background());
  cancel(absl::OkStatus());
  EXPECT_EQ(Cause(ctx).code(), absl::StatusCode::kCancelled);
}

TEST(WithCancelCause, FirstCauseWins) {
  auto [ctx, cancel] = WithCancelCause(Background());
  cancel(absl::AbortedError("first"));
  cancel(absl::InternalError("second"));
  EXPECT_EQ(Cause(ctx), absl::AbortedError("first"));
}

TEST(WithCancelCause, ChildrenInheritTheCause) {
  auto [parent, cancel] = WithCancelCause(Background());
  auto [child, cancel_child] = WithCancel(parent);
  cancel(absl::AbortedError("why"));
  EXPECT_EQ(Cause(child), absl::AbortedError("why"));
  EXPECT_EQ(child.Err().code(), absl::StatusCode::kCancelled);
}

class DeadlineTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  Context root_ = Background(clock_);
};

TEST_F(DeadlineTest, FiresAtTheDeadlineAndNotBefore) {
  auto [ctx, cancel] = WithTimeout(root_, absl::Milliseconds(50));
  EXPECT_EQ(ctx.Deadline(), clock_.Now() + absl::Milliseconds(50));
  EXPECT_EQ(ctx.Remaining(), absl::Milliseconds(50));
  clock_.Advance(absl::Milliseconds(49));
  EXPECT_TRUE(ctx.Err().ok());
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(ctx.Err().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(ctx.Err().message(), "context deadline exceeded");
  EXPECT_EQ(Cause(ctx), ctx.Err());
  EXPECT_EQ(clock_.PendingTimers(), 0u);
}

TEST_F(DeadlineTest, DeadlineInThePastIsDoneAtOnce) {
  auto [ctx, cancel] = WithDeadline(root_, clock_.Now() - absl::Seconds(1));
  EXPECT_EQ(ctx.Err().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(clock_.PendingTimers(), 0u);
}

TEST_F(DeadlineTest, ZeroAndNegativeTimeoutsAreDoneAtOnce) {
  auto [zero, cancel_zero] = WithTimeout(root_, absl::ZeroDuration());
  auto [negative, cancel_negative] = WithTimeout(root_, absl::Seconds(-5));
  EXPECT_EQ(zero.Err().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(negative.Err().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(DeadlineTest, ChildDeadlineNeverLaterThanParent) {
  auto [parent, cancel_parent] = WithTimeout(root_, absl::Seconds(1));
  auto [child, cancel_child] = WithTimeout(parent, absl::Seconds(10));
  EXPECT_EQ(child.Deadline(), parent.Deadline());
  // The parent's timer does the work; the child needs none of its own.
  EXPECT_EQ(clock_.PendingTimers(), 1u);
  auto [sooner, cancel_sooner] = WithTimeout(parent, absl::Milliseconds(10));
  EXPECT_EQ(sooner.Deadline(), clock_.Now() + absl::Milliseconds(10));
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(child.Err().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(sooner.Err().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(DeadlineTest, CancelBeforeDeadlineUnschedulesAndStaysCanceled) {
  auto [ctx, cancel] = WithTimeout(root_, absl::Milliseconds(10));
  EXPECT_EQ(clock_.PendingTimers(), 1u);
  cancel();
  EXPECT_EQ(clock_.PendingTimers(), 0u);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(ctx.Err().code(), absl::StatusCode::kCancelled);
}

TEST_F(DeadlineTest, DeadlineAndCancelCauseIsOneLinkThatEndsEitherWay) {
  auto [parent, cancel_parent] = WithCancel(root_);
  auto [expires, cancel_expires] = WithDeadlineAndCancelCause(
      parent, clock_.Now() + absl::Milliseconds(10), absl::DeadlineExceededError("budget"));
  auto [cancelled, cancel] = WithDeadlineAndCancelCause(
      parent, clock_.Now() + absl::Milliseconds(10), absl::DeadlineExceededError("budget"));
  EXPECT_EQ(RegisteredChildren(parent), 2u);  // One link each, not two.
  EXPECT_EQ(clock_.PendingTimers(), 2u);
  cancel(absl::UnavailableError("caller gone"));
  EXPECT_EQ(cancelled.Err().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(Cause(cancelled), absl::UnavailableError("caller gone"));
  clock_.Advance(absl::Milliseconds(10));
  EXPECT_EQ(expires.Err().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Cause(expires), absl::DeadlineExceededError("budget"));
  EXPECT_EQ(Cause(cancelled), absl::UnavailableError("caller gone"));  // The first stays.
  EXPECT_EQ(clock_.PendingTimers(), 0u);
}

TEST_F(DeadlineTest, DeadlineAndCancelCauseFollowsItsParent) {
  auto [parent, cancel_parent] = WithCancelCause(root_);
  auto [ctx, cancel] = WithDeadlineAndCancelCause(parent, absl::InfiniteFuture(),
                                                  absl::DeadlineExceededError("never"));
  EXPECT_EQ(clock_.PendingTimers(), 0u);  // A deadline that cannot come needs no timer.
  cancel_parent(absl::AbortedError("shutting down"));
  EXPECT_EQ(ctx.Err().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(Cause(ctx), absl::AbortedError("shutting down"));
}

TEST_F(DeadlineTest, CancelAfterDeadlineKeepsTheFirstCause) {
  auto [ctx, cancel] = WithTimeoutCause(root_, absl::Milliseconds(10),
                                        absl::DeadlineExceededError("budget of 10ms"));
  clock_.Advance(absl::Milliseconds(10));
  cancel();
  EXPECT_EQ(ctx.Err().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Cause(ctx), absl::DeadlineExceededError("budget of 10ms"));
}

TEST_F(DeadlineTest, DestroyingAnUnexpiredDeadlineUnschedulesIt) {
  {
    auto [ctx, cancel] = WithTimeout(root_, absl::Hours(1));
    EXPECT_EQ(clock_.PendingTimers(), 1u);
  }
  EXPECT_EQ(clock_.PendingTimers(), 0u);
}

TEST_F(DeadlineTest, ParentDeadlineCancelsChildWithParentsCause) {
  auto [parent, cancel_parent] =
      WithTimeoutCause(root_, absl::Milliseconds(5), absl::AbortedError("parent budget"));
  auto [child, cancel_child] = WithCancel(parent);
  clock_.Advance(absl::Milliseconds(5));
  EXPECT_EQ(child.Err().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Cause(child), absl::AbortedError("parent budget"));
}

TEST_F(DeadlineTest, DerivedContextsUseTheRootsClock) {
  Context valued = WithValue(root_, kNumber, 1);
  EXPECT_EQ(&valued.clock(), &clock_);
  auto [ctx, cancel] = WithTimeout(valued, absl::Seconds(1));
  EXPECT_EQ(&ctx.clock(), &clock_);
  EXPECT_EQ(&WithoutCancel(ctx).clock(), &clock_);
}

TEST(WithValue, LookupIsTypedAndShadowed) {
  Context a = WithValue(Background(), kName, std::string("outer"));
  Context b = WithValue(a, kNumber, 42);
  Context c = WithValue(b, kName, "inner");
  ASSERT_NE(c.Value(kName), nullptr);
  EXPECT_EQ(*c.Value(kName), "inner");
  EXPECT_EQ(*a.Value(kName), "outer");
  EXPECT_EQ(*c.Value(kNumber), 42);
  EXPECT_EQ(a.Value(kNumber), nullptr);
}

TEST(WithValue, FromAMovedParentKeepsTheChainAndItsCancellation) {
  auto [root, cancel] = WithCancel(Background());
  Context ctx = root;
  ctx = WithValue(std::move(ctx), kNumber, 1);
  ctx = WithValue(std::move(ctx), kName, "two");
  EXPECT_EQ(*ctx.Value(kNumber), 1);
  EXPECT_EQ(*ctx.Value(kName), "two");
  cancel();
  EXPECT_TRUE(ctx.IsDone());
}

TEST(WithValue, KeysWithTheSameNameDoNotCollide) {
  Context ctx = WithValue(Background(), kName, "mine");
  EXPECT_EQ(ctx.Value(kOtherName), nullptr);
  ctx = WithValue(ctx, kOtherName, "theirs");
  EXPECT_EQ(*ctx.Value(kName), "mine");
  EXPECT_EQ(*ctx.Value(kOtherName), "theirs");
}

TEST(WithValue, ValuesSurviveCancellationAndTheParentHandle) {
  Context valued;
  {
    auto [ctx, cancel] = WithCancel(Background());
    valued = WithValue(ctx, kName, "kept");
  }
  EXPECT_TRUE(valued.IsDone());
  EXPECT_EQ(*valued.Value(kName), "kept");
}

TEST(WithoutCancel, KeepsValuesDropsCancellationAndDeadline) {
  FakeClock clock;
  auto [parent, cancel] = WithTimeout(WithValue(Background(clock), kName, "req-1"),
                                      absl::Milliseconds(10));
  Context detached = WithoutCancel(parent);
  EXPECT_EQ(detached.Deadline(), absl::InfiniteFuture());
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(parent.IsDone());
  EXPECT_TRUE(detached.Err().ok());
  EXPECT_EQ(*detached.Value(kName), "req-1");
}

TEST(WithoutCancel, OfACancelledParentIsLive) {
  auto [parent, cancel] = WithCancelCause(Background());
  cancel(absl::AbortedError("gone"));
  Context detached = WithoutCancel(parent);
  EXPECT_TRUE(detached.Err().ok());
  EXPECT_TRUE(Cause(detached).ok());
  auto [cleanup, cancel_cleanup] = WithTimeout(detached, absl::Seconds(1));
  EXPECT_TRUE(cleanup.Err().ok());
}

TEST(AfterFunc, RunsOnceAfterCancel) {
  auto [ctx, cancel] = WithCancel(Background());
  int runs = 0;
  AfterFuncHandle handle = AfterFunc(ctx, [&] { ++runs; });
  EXPECT_EQ(runs, 0);
  cancel();
  EXPECT_EQ(runs, 1);
  cancel();
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(handle.Stop());
}

TEST(AfterFunc, StoppedAndRunCallbacksLeaveTheContext) {
  auto [ctx, cancel] = WithCancel(Background());
  for (int i = 0; i < 100; ++i) {
    AfterFuncHandle handle = AfterFunc(ctx, [] {});
    EXPECT_EQ(PendingCallbacks(ctx), 1u);
  }
  EXPECT_EQ(PendingCallbacks(ctx), 0u);
  AfterFuncHandle kept = AfterFunc(ctx, [] {});
  cancel();
  EXPECT_EQ(PendingCallbacks(ctx), 0u);
}

TEST(AfterFunc, StopPreventsTheRun) {
  auto [ctx, cancel] = WithCancel(Background());
  int runs = 0;
  AfterFuncHandle handle = AfterFunc(ctx, [&] { ++runs; });
  EXPECT_TRUE(handle.Stop());
  EXPECT_FALSE(handle.Stop());
  cancel();
  EXPECT_EQ(runs, 0);
}

TEST(AfterFunc, DroppingTheHandleStops) {
  auto [ctx, cancel] = WithCancel(Background());
  int runs = 0;
  { AfterFuncHandle handle = AfterFunc(ctx, [&] { ++runs; }); }
  cancel();
  EXPECT_EQ(runs, 0);
}

TEST(AfterFunc, OnADoneContextRunsAtOnce) {
  auto [ctx, cancel] = WithCancel(Background());
  cancel();
  int runs = 0;
  AfterFuncHandle handle = AfterFunc(ctx, [&] { ++runs; });
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(handle.Stop());
}

TEST(AfterFunc, OnANeverDoneContextNeverRuns) {
  int runs = 0;
  AfterFuncHandle handle = AfterFunc(WithValue(Background(), kNumber, 1), [&] { ++runs; });
  EXPECT_FALSE(handle.Stop());
  EXPECT_EQ(runs, 0);
}

TEST(AfterFunc, RunsInRegistrationOrderAndSeesDone) {
  auto [ctx, cancel] = WithCancel(Background());
  std::vector<int> order;
  bool saw_done = false;
  AfterFuncHandle first = AfterFunc(ctx, [&, c = ctx] {
    order.push_back(1);
    saw_done = c.IsDone();
  });
  AfterFuncHandle second = AfterFunc(ctx, [&] { order.push_back(2); });
  cancel();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_TRUE(saw_done);
}

TEST(AfterFunc, MayStopItselfAndRegisterMore) {
  auto [ctx, cancel] = WithCancel(Background());
  AfterFuncHandle self;
  AfterFuncHandle nested;
  int nested_runs = 0;
  self = AfterFunc(ctx, [&, c = ctx] {
    EXPECT_FALSE(self.Stop());  // From inside f: does not wait for itself.
    nested = AfterFunc(c, [&] { ++nested_runs; });
  });
  cancel();
  EXPECT_EQ(nested_runs, 1);
}

TEST(AfterFunc, FiresOnDeadlineOfAnAncestor) {
  FakeClock clock;
  auto [parent, cancel] = WithTimeout(Background(clock), absl::Milliseconds(3));
  Context child = WithValue(parent, kNumber, 1);
  bool ran = false;
  AfterFuncHandle handle = AfterFunc(child, [&] { ran = true; });
  clock.Advance(absl::Milliseconds(3));
  EXPECT_TRUE(ran);
}

TEST(Wait, ReturnsWhenDoneOrTimesOut) {
  auto [ctx, cancel] = WithCancel(Background());
  EXPECT_FALSE(ctx.WaitFor(absl::Milliseconds(1)));
  EXPECT_FALSE(ctx.WaitUntil(absl::Now() - absl::Seconds(1)));
  cancel();
  EXPECT_TRUE(ctx.WaitFor(absl::ZeroDuration()));
  ctx.Wait();
}

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

TEST(DoneFd, BecomesReadableOnCancel) {
  auto [ctx, cancel] = WithCancel(Background());
  absl::StatusOr<int> fd = ctx.DoneFd();
  ASSERT_TRUE(fd.ok());
  ASSERT_GE(*fd, 0);
  EXPECT_EQ(*ctx.DoneFd(), *fd);  // One descriptor per Context.
  EXPECT_FALSE(Readable(*fd));
  cancel();
  EXPECT_TRUE(Readable(*fd));
  EXPECT_TRUE(Readable(*fd));  // Level-triggered: stays readable.
}

TEST(DoneFd, OfADoneContextIsReadableAtOnce) {
  FakeClock clock;
  auto [ctx, cancel] = WithTimeout(Background(clock), absl::Milliseconds(1));
  clock.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(Readable(*ctx.DoneFd()));
}

TEST(DoneFd, IsSharedByValueChildren) {
  auto [ctx, cancel] = WithCancel(Background());
  Context valued = WithValue(ctx, kNumber, 3);
  EXPECT_EQ(*valued.DoneFd(), *ctx.DoneFd());
}

TEST(RealClock, DeadlineFiresOnItsOwn) {
  auto [ctx, cancel] = WithTimeout(Background(), absl::Milliseconds(20));
  const absl::Time start = absl::Now();
  EXPECT_TRUE(ctx.WaitFor(absl::Seconds(10)));
  // Generous bounds: the point is that it fires, not how precisely.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(15));
  EXPECT_EQ(ctx.Err().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(RealClock, EarlierDeadlineWakesTheTimerThread) {
  auto [late, cancel_late] = WithTimeout(Background(), absl::Hours(1));
  auto [soon, cancel_soon] = WithTimeout(Background(), absl::Milliseconds(5));
  EXPECT_TRUE(soon.WaitFor(absl::Seconds(10)));
  EXPECT_FALSE(late.IsDone());
}

TEST(AfterFunc, OnADoneContextRunsNowAndLetsGoOfWhatItCaptured) {
  auto [ctx, cancel] = WithCancel(Background());
  cancel.Cancel();
  auto captured = std::make_shared<int>(1);
  std::weak_ptr<int> watch = captured;
  bool ran = false;
  // The handle outlives the call: what f captured must not live on in it, or a
  // callback that holds its own handle's owner would keep it forever.
  AfterFuncHandle handle = AfterFunc(ctx, [&ran, captured = std::move(captured)] { ran = true; });
  EXPECT_TRUE(ran);
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace baton
