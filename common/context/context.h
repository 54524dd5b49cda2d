// Context: a request's deadline, cancellation and values, carried across API
// boundaries and threads — Go's context, in C++.
//
// Rules of use
//   * Pass a Context explicitly, first, as `const Context& ctx`. Do not keep one in a
//     long-lived object; keep it for as long as the work it governs.
//   * Derive, never mutate: every With* function returns a new child Context. A child
//     sees its parent's values, is cancelled when its parent is, and its deadline is
//     never later than its parent's.
//   * Cancellation is a handle you own. WithCancel/WithDeadline/WithTimeout return
//     {context, cancel}; the handle cancels when called *and when destroyed*, so the
//     child (and its timer and its place in the parent) is always released. Keep the
//     handle as long as the context: `WithTimeout(ctx, d).context` alone is a context
//     whose handle died with the expression — it is already cancelled.
//   * Check `ctx.Err()` before starting work that cannot finish in time, and make
//     blocking work wake on `Done` (AfterFunc, Wait*, DoneFd) rather than poll.
//
//   Context ctx = ...;                                   // e.g. from an incoming RPC
//   auto [call, cancel] = WithTimeout(ctx, absl::Milliseconds(200));
//   AfterFuncHandle stop = AfterFunc(call, [&] { socket.Abort(); });
//   ... if (!call.Err().ok()) return call.Err();
//
// Errors: Err() is OK while the Context is live and, once done, CANCELLED
// ("context canceled") or DEADLINE_EXCEEDED ("context deadline exceeded") for good.
// Cause(ctx) gives the richer reason recorded by a *Cause function, or Err() if none.
// The first cancellation wins: later cancels and deadlines change nothing.
//
// Values: keys are typed objects (ContextKey<T>), compared by address, so a lookup is
// compile-time typed and two libraries cannot collide on a key name.
//
// Thread safety: a Context is immutable; copies may be used from any thread at once.
// Copying one costs one atomic increment. Cancel handles and AfterFunc handles are
// thread-compatible (one owner), but cancelling is safe against any concurrent use of
// the Context.
//
// Time: deadlines run on the Clock the tree was rooted in (Background() uses the real
// clock; tests root trees in a FakeClock). Timeouts given to Wait* are real time.
#ifndef BATON_COMMON_CONTEXT_CONTEXT_H_
#define BATON_COMMON_CONTEXT_CONTEXT_H_

#include <memory>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/context/clock.h"
#include "common/context/context_key.h"
#include "common/context/internal/callback_record.h"
#include "common/context/internal/node.h"
#include "common/context/internal/node_ref.h"

namespace baton {

namespace context_internal {
class CancelNode;
}  // namespace context_internal

class Context {
 public:
  // Background(): never done, no values, no deadline, real clock.
  Context() = default;

  // The time by which this Context will be done, or InfiniteFuture if none.
  absl::Time Deadline() const {
    return node_ ? node_->deadline() : absl::InfiniteFuture();
  }

  // Deadline() - now on this tree's clock (may be negative); InfiniteDuration if none.
  absl::Duration Remaining() const;

  // OK while live; CANCELLED or DEADLINE_EXCEEDED once done. One atomic load.
  absl::Status Err() const;

  // Err() != OK, without building a Status.
  bool IsDone() const;

  // The value stored under `key` by the nearest WithValue, or null. The pointer is
  // valid while this Context (or anything derived from it) lives.
  template <typename T>
  const T* Value(const ContextKey<T>& key) const;

  // Blocks until done. On a Context that can never be done, blocks forever.
  void Wait() const;
  // Blocks until done or `timeout`/`deadline` (real time) passes; returns IsDone().
  bool WaitFor(absl::Duration timeout) const;
  bool WaitUntil(absl::Time deadline) const;

  // A file descriptor that becomes readable (level-triggered, for poll/epoll) once
  // this Context is done, or -1 for a Context that can never be done (poll() ignores
  // negative descriptors). Owned by the Context: do not read, close or write it; it
  // stays valid while this Context lives. Fails only if eventfd() does.
  absl::StatusOr<int> DoneFd() const;

  // The clock this tree was rooted in.
  Clock& clock() const { return node_ ? node_->clock() : Clock::Real(); }

 private:
  friend class ContextAccess;
  explicit Context(context_internal::NodeRef<const context_internal::Node> node)
      : node_(std::move(node)) {}

  context_internal::CancelNode* source() const {
    return node_ ? node_->cancel_source() : nullptr;
  }

  // Null means Background() on the real clock, so the most common root costs nothing.
  context_internal::NodeRef<const context_internal::Node> node_;
};

// Owns the right (and the duty) to cancel one Context. Cancels when destroyed.
// Move-only; a moved-from handle does nothing. Cancel() may be called from several
// threads at once (e.g. a transport's cancel notification racing the handler's own
// cancel); moving and destroying the handle need one owner.
class CancelHandle {
 public:
  CancelHandle();
  CancelHandle(CancelHandle&&) noexcept;
  CancelHandle& operator=(CancelHandle&& other) noexcept;
  ~CancelHandle();

  // Cancels the Context with CANCELLED (cause: the same). No-op after the first. When
  // it returns, the Context and every descendant are done — also when another thread's
  // cancel (or an ancestor's) got there first and is still reaching them. (Called from
  // an AfterFunc callback it never waits for another thread, so there it may return
  // first.)
  void Cancel();
  void operator()() { Cancel(); }

 protected:
  explicit CancelHandle(context_internal::NodeRef<context_internal::CancelNode> node);
  void CancelWithCause(const absl::Status& cause);

 private:
  friend class ContextAccess;
  context_internal::NodeRef<context_internal::CancelNode> node_;
};

// A CancelHandle that can also record why (WithCancelCause).
class CancelCauseHandle : public CancelHandle {
 public:
  CancelCauseHandle();
  using CancelHandle::Cancel;
  // Cancels with CANCELLED, recording `cause` for Cause(ctx); an OK cause records
  // CANCELLED itself.
  void Cancel(const absl::Status& cause) { CancelWithCause(cause); }
  void operator()(const absl::Status& cause) { CancelWithCause(cause); }

 private:
  friend class ContextAccess;
  using CancelHandle::CancelHandle;
};

template <typename Handle>
struct DerivedContext {
  Context context;
  Handle cancel;
};

// Stops an AfterFunc registration; stops it when destroyed. Move-only.
class AfterFuncHandle {
 public:
  AfterFuncHandle();
  AfterFuncHandle(AfterFuncHandle&&) noexcept;
  AfterFuncHandle& operator=(AfterFuncHandle&& other) noexcept;
  ~AfterFuncHandle();

  // Returns true if this call stopped f from running; false if f has already run, is
  // running, or was stopped before. If f is running on another thread, waits for it to
  // return first (like std::stop_callback), so what f uses may be destroyed after
  // Stop(). Called from inside f, it does not wait.
  bool Stop();

 private:
  friend class ContextAccess;
  context_internal::NodeRef<context_internal::CancelNode> node_;
  std::unique_ptr<context_internal::CallbackRecord> record_;
};

// A new root on the real clock (the same as Context()).
inline Context Background() { return Context(); }
// A new root on `clock`, which must outlive the tree. For tests: FakeClock.
Context Background(Clock& clock);

// A child that is done when `cancel` is called or dropped, or when `parent` is done.
DerivedContext<CancelHandle> WithCancel(const Context& parent);
DerivedContext<CancelCauseHandle> WithCancelCause(const Context& parent);

// A child that is also done at `deadline` (DEADLINE_EXCEEDED). A deadline later than
// the parent's changes nothing; one already past yields a done child. The *Cause
// forms record `cause` (for Cause()) when this child's own deadline fires.
DerivedContext<CancelHandle> WithDeadline(const Context& parent, absl::Time deadline);
DerivedContext<CancelHandle> WithDeadlineCause(const Context& parent, absl::Time deadline,
                                               absl::Status cause);
// WithDeadline(parent, parent.clock().Now() + timeout); zero or negative: done at once.
DerivedContext<CancelHandle> WithTimeout(const Context& parent, absl::Duration timeout);
DerivedContext<CancelHandle> WithTimeoutCause(const Context& parent,
                                              absl::Duration timeout, absl::Status cause);
// WithDeadlineCause whose handle, like WithCancelCause's, records why it cancelled: one
// link where WithDeadlineCause(WithCancelCause(parent).context, ...) makes two, each
// joined to its parent, started and torn down — what a server's call needs per request
// (its caller may go; its deadline may pass). Whatever ends it first decides Err() and
// Cause(), as with those two: the handle, CANCELLED with its cause; this link's own
// deadline, DEADLINE_EXCEEDED with `deadline_cause` (OK: the error itself); the
// parent, the parent's. A deadline no earlier than the parent's arms no timer of its
// own: the parent's deadline ends it, with the parent's cause.
DerivedContext<CancelCauseHandle> WithDeadlineAndCancelCause(const Context& parent,
                                                             absl::Time deadline,
                                                             absl::Status deadline_cause);

// A child carrying `value` under `key`; it shadows any value of `key` above it.
// Passing the parent as an rvalue — ctx = WithValue(std::move(ctx), key, v) — hands
// its reference to the child instead of taking a new one.
template <typename T, typename U>
Context WithValue(const Context& parent, const ContextKey<T>& key, U&& value);
template <typename T, typename U>
Context WithValue(Context&& parent, const ContextKey<T>& key, U&& value);

// A child with `parent`'s values and clock but no cancellation and no deadline: for
// cleanup that must finish after the request that started it is gone. Usually wrapped
// again at once: WithTimeout(WithoutCancel(ctx), short_budget).
Context WithoutCancel(const Context& parent);

// Arranges for f to run once after `ctx` is done, on the thread that cancels it (or
// the clock's timer thread for a deadline), with no internal lock held; if `ctx` is
// done already, runs f now on this thread. f should be short and must not block: it is
// how cancellation reaches a socket, a database call or an RPC. For a Context that can
// never be done, f never runs.
AfterFuncHandle AfterFunc(const Context& ctx, absl::AnyInvocable<void() &&> f);

// Why `ctx` is done: the cause given to a *Cause function, else Err(); OK while live.
absl::Status Cause(const Context& ctx);

// ---------------------------------------------------------------------------------
// Implementation details.

class ContextAccess {
 public:
  static const context_internal::NodeRef<const context_internal::Node>& node(
      const Context& ctx) {
    return ctx.node_;
  }
  static Context Make(context_internal::NodeRef<const context_internal::Node> node) {
    return Context(std::move(node));
  }
  static context_internal::NodeRef<const context_internal::Node> Take(Context&& ctx) {
    return std::move(ctx.node_);
  }
  template <typename Handle>
  static Handle MakeHandle(context_internal::NodeRef<context_internal::CancelNode> node) {
    return Handle(std::move(node));
  }
  static AfterFuncHandle MakeAfterFunc(
      context_internal::NodeRef<context_internal::CancelNode> node,
      std::unique_ptr<context_internal::CallbackRecord> record);
};

template <typename T>
const T* Context::Value(const ContextKey<T>& key) const {
  if (node_ == nullptr) return nullptr;
  for (const context_internal::ValueNodeBase* link = node_->values(); link != nullptr;
       link = link->next()) {
    if (link->key() == &key) {
      return &static_cast<const context_internal::ValueNode<T>*>(link)->value();
    }
  }
  return nullptr;
}

template <typename T, typename U>
Context WithValue(context_internal::NodeRef<const context_internal::Node> parent,
                  const ContextKey<T>& key, U&& value) {
  static_assert(std::is_constructible_v<T, U&&>,
                "the value must be convertible to the key's type");
  using Node = context_internal::ValueNode<T>;
  return ContextAccess::Make(
      context_internal::NodeRef<const context_internal::Node>::Adopt(
          context_internal::MakeInArena<Node>(std::move(parent), &key,
                                              std::forward<U>(value))));
}

template <typename T, typename U>
Context WithValue(const Context& parent, const ContextKey<T>& key, U&& value) {
  return WithValue(ContextAccess::node(parent), key, std::forward<U>(value));
}

template <typename T, typename U>
Context WithValue(Context&& parent, const ContextKey<T>& key, U&& value) {
  return WithValue(ContextAccess::Take(std::move(parent)), key, std::forward<U>(value));
}

}  // namespace baton

#endif  // BATON_COMMON_CONTEXT_CONTEXT_H_
