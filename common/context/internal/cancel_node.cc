#include "common/context/internal/cancel_node.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/time/clock.h"

namespace baton::context_internal {

const absl::Status& ErrorFor(DoneReason reason) {
  // Built once and never destroyed, so Contexts stay usable during static destruction.
  static const absl::Status& canceled =
      *std::make_unique<absl::Status>(absl::CancelledError("context canceled")).release();
  static const absl::Status& deadline_exceeded =
      *std::make_unique<absl::Status>(
           absl::DeadlineExceededError("context deadline exceeded"))
           .release();
  static const absl::Status ok;
  switch (reason) {
    case DoneReason::kCanceled:
      return canceled;
    case DoneReason::kDeadlineExceeded:
      return deadline_exceeded;
    case DoneReason::kLive:
      break;
  }
  return ok;
}

namespace {

// How many AfterFunc callbacks this thread is inside. A Cancel made from one never
// waits for another cancel to settle: the callback may be part of that very cancel
// (a child's callback cancelling an ancestor), or of one that cancel waits for. A
// thread with no callback on its stack waits only for nodes below the ones it is
// cancelling itself, so waits cannot form a cycle.
thread_local int callbacks_on_this_thread = 0;

// Takes `fn` by value: what it captured is gone when this returns, whether `fn` came
// out of the callback list or straight from AfterFunc on a Context already done (so a
// callback holding its own AfterFuncHandle's owner cannot keep it alive in a cycle).
void RunCallback(absl::AnyInvocable<void() &&> fn) {
  ++callbacks_on_this_thread;
  std::move(fn)();
  --callbacks_on_this_thread;
}

void SignalFd(int fd) {
  const uint64_t one = 1;
  // An eventfd write of 1 cannot fail short of counter overflow, which one write per
  // node cannot reach.
  [[maybe_unused]] ssize_t written = write(fd, &one, sizeof(one));
}

}  // namespace

CancelNode::CancelNode(NodeRef<const Node> parent)
    : Node(std::move(parent)), parent_source_(cancel_source_) {
  cancel_source_ = this;
  try_ref_reachable_.store(true, std::memory_order_relaxed);
}

CancelNode::~CancelNode() {
  if (!left_parent_) LeaveParent();
  // Children and AfterFunc handles hold this node alive, so none is left here, and no
  // other thread can reach done_fd_.
  if (done_fd_ >= 0) close(done_fd_);
}

void CancelNode::Start() {
  if (parent_source_ != nullptr) {
    DoneReason parent_reason = DoneReason::kLive;
    absl::Status parent_cause;
    {
      std::lock_guard<NodeMutex> lock(parent_source_->mu_);
      parent_reason = parent_source_->reason_.load(std::memory_order_relaxed);
      if (parent_reason == DoneReason::kLive) {
        next_sibling_ = parent_source_->first_child_;
        if (next_sibling_ != nullptr) next_sibling_->prev_sibling_ = this;
        parent_source_->first_child_ = this;
        in_parent_list_ = true;
      } else {
        parent_cause = parent_source_->cause_;
      }
    }
    if (parent_reason != DoneReason::kLive) Cancel(parent_reason, parent_cause);
  }
}

bool CancelNode::CancelImpl(DoneReason reason, const absl::Status& cause,
                            bool detached_by_parent, bool await_if_lost) {
  // Cancelling twice is common (the parent, then the handle): answer without the lock.
  if (done()) {
    if (await_if_lost) AwaitSettled();
    return false;
  }
  CancelNode* detached_children = nullptr;
  bool has_callbacks = false;
  {
    std::unique_lock<NodeMutex> lock(mu_);
    if (reason_.load(std::memory_order_relaxed) != DoneReason::kLive) {
      lock.unlock();
      if (await_if_lost) AwaitSettled();
      return false;
    }
    if (!cause.ok() && cause != ErrorFor(reason)) cause_ = cause;
    reason_.store(reason, std::memory_order_release);
    // Detach all children into a singly linked chain, each kept alive by its own
    // kept_by_parent_, so they can be cancelled after mu_ is released.
    CancelNode** tail = &detached_children;
    for (CancelNode* child = first_child_; child != nullptr;) {
      CancelNode* next = child->next_sibling_;
      child->in_parent_list_ = false;
      child->prev_sibling_ = child->next_sibling_ = nullptr;
      // A child whose last reference is gone is in its destructor, waiting for mu_
      // to leave this list; it needs no cancelling.
      if (child->TryRef()) {
        child->kept_by_parent_ = NodeRef<CancelNode>::Adopt(child);
        *tail = child;
        tail = &child->next_sibling_;
      }
      child = next;
    }
    first_child_ = nullptr;
    // Without children, done is settled (a losing Cancel that saw done before this
    // store finds it under mu_).
    if (detached_children == nullptr) settled_.store(true, std::memory_order_relaxed);
    // Callbacks registered from now on run at once, in AddCallback.
    has_callbacks = first_callback_ != nullptr;
    if (done_fd_ >= 0) SignalFd(done_fd_);
    if (changed_ != nullptr) changed_->notify_all();
  }
  if (detached_by_parent) {
    left_parent_ = true;
  } else {
    LeaveParent();
  }
  OnCancel();
  // Out of the parent's list (done: no parent can list it again) and off the clock:
  // nothing can TryRef this node any more.
  try_ref_reachable_.store(false, std::memory_order_release);
  if (detached_children != nullptr) {
    // A child another thread is cancelling is waited for (CancelImpl), so that this
    // node settles only once its whole subtree is done.
    CancelDetachedChildren(detached_children, reason);
    settled_.store(true, std::memory_order_seq_cst);
    if (settle_waiters_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<NodeMutex> lock(mu_);
      if (changed_ != nullptr) changed_->notify_all();
    }
  }
  if (has_callbacks) {
    // A callback may drop the last outside reference to this node.
    NodeRef<CancelNode> keep = NodeRef<CancelNode>::Share(this);
    RunCallbacks();
  }
  return true;
}

void CancelNode::AwaitSettled() const {
  if (settled_.load(std::memory_order_acquire) || callbacks_on_this_thread > 0) return;
  settle_waiters_.fetch_add(1, std::memory_order_seq_cst);
  {
    std::unique_lock<NodeMutex> lock(mu_);
    WaitLocked(lock, absl::InfiniteFuture(),
               [this] { return settled_.load(std::memory_order_seq_cst); });
  }
  settle_waiters_.fetch_sub(1, std::memory_order_seq_cst);
}

void CancelNode::CancelDetachedChildren(CancelNode* first, DoneReason reason) {
  // Only this thread touches the detached chain's links: the children are out of the
  // list, so neither they nor new children reach them under mu_ any more.
  for (CancelNode* child = first; child != nullptr;) {
    CancelNode* next = child->next_sibling_;
    child->next_sibling_ = nullptr;
    NodeRef<CancelNode> keep = std::move(child->kept_by_parent_);
    child->CancelImpl(reason, cause_, /*detached_by_parent=*/true, /*await_if_lost=*/true);
    child = next;
  }
}

void CancelNode::LeaveParent() {
  left_parent_ = true;
  if (parent_source_ == nullptr) return;
  std::lock_guard<NodeMutex> lock(parent_source_->mu_);
  if (!in_parent_list_) return;
  if (prev_sibling_ != nullptr) {
    prev_sibling_->next_sibling_ = next_sibling_;
  } else {
    parent_source_->first_child_ = next_sibling_;
  }
  if (next_sibling_ != nullptr) next_sibling_->prev_sibling_ = prev_sibling_;
  prev_sibling_ = next_sibling_ = nullptr;
  in_parent_list_ = false;
}

absl::Status CancelNode::err() const {
  return ErrorFor(reason_.load(std::memory_order_acquire));
}

absl::Status CancelNode::cause() const {
  const DoneReason reason = reason_.load(std::memory_order_acquire);
  if (reason == DoneReason::kLive || cause_.ok()) return ErrorFor(reason);
  return cause_;
}

template <typename Predicate>
void CancelNode::WaitLocked(std::unique_lock<NodeMutex>& lock, absl::Time deadline,
                            Predicate done_waiting) const {
  if (changed_ == nullptr) changed_ = std::make_unique<std::condition_variable_any>();
  if (deadline == absl::InfiniteFuture()) {
    changed_->wait(lock, done_waiting);
  } else {
    changed_->wait_until(lock, absl::ToChronoTime(deadline), done_waiting);
  }
}

bool CancelNode::WaitUntil(absl::Time deadline) const {
  std::unique_lock<NodeMutex> lock(mu_);
  WaitLocked(lock, deadline, [this] { return done(); });
  return done();
}

absl::StatusOr<int> CancelNode::DoneFd() const {
  std::lock_guard<NodeMutex> lock(mu_);
  if (done_fd_ < 0) {
    const int fd = eventfd(done() ? 1 : 0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) return absl::ErrnoToStatus(errno, "eventfd for Context::DoneFd");
    done_fd_ = fd;
  }
  return done_fd_;
}

void CancelNode::AddCallback(CallbackRecord* record) {
  {
    std::lock_guard<NodeMutex> lock(mu_);
    if (!done()) {
      record->prev_ = last_callback_;
      record->next_ = nullptr;
      if (last_callback_ != nullptr) {
        last_callback_->next_ = record;
      } else {
        first_callback_ = record;
      }
      last_callback_ = record;
      record->linked_ = true;
      return;
    }
  }
  RunCallback(std::move(record->fn_));
}

bool CancelNode::RemoveCallback(CallbackRecord* record) {
  std::unique_lock<NodeMutex> lock(mu_);
  if (record->linked_) {
    if (record->prev_ != nullptr) {
      record->prev_->next_ = record->next_;
    } else {
      first_callback_ = record->next_;
    }
    if (record->next_ != nullptr) {
      record->next_->prev_ = record->prev_;
    } else {
      last_callback_ = record->prev_;
    }
    record->linked_ = false;
    return true;
  }
  if (running_callback_ == record && running_thread_ != std::this_thread::get_id()) {
    WaitLocked(lock, absl::InfiniteFuture(),
               [this, record] { return running_callback_ != record; });
  }
  return false;
}

void CancelNode::RunCallbacks() {
  for (;;) {
    absl::AnyInvocable<void() &&> fn;
    {
      std::lock_guard<NodeMutex> lock(mu_);
      // The previous callback has returned: wake a Stop() waiting for it.
      if (changed_ != nullptr) changed_->notify_all();
      CallbackRecord* record = first_callback_;
      if (record == nullptr) {
        running_callback_ = nullptr;
        return;
      }
      first_callback_ = record->next_;
      if (first_callback_ != nullptr) {
        first_callback_->prev_ = nullptr;
      } else {
        last_callback_ = nullptr;
      }
      record->linked_ = false;
      fn = std::move(record->fn_);
      running_callback_ = record;
      running_thread_ = std::this_thread::get_id();
    }
    RunCallback(std::move(fn));
  }
}

namespace {

template <typename T>
size_t CountLinks(const T* first, T* T::*next) {
  size_t count = 0;
  for (const T* link = first; link != nullptr; link = link->*next) ++count;
  return count;
}

}  // namespace

size_t CancelNode::ChildCount() const {
  std::lock_guard<NodeMutex> lock(mu_);
  return CountLinks<CancelNode>(first_child_, &CancelNode::next_sibling_);
}

size_t CancelNode::CallbackCount() const {
  std::lock_guard<NodeMutex> lock(mu_);
  return CountLinks<CallbackRecord>(first_callback_, &CallbackRecord::next_);
}

}  // namespace baton::context_internal
