#include "common/context/internal/cancel_node.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <utility>

#include "absl/container/inlined_vector.h"

namespace baton::context_internal {

const absl::Status& CanceledError() {
  static const absl::Status& error = *std::make_unique<absl::Status>(
                                         absl::CancelledError("context canceled"))
                                         .release();
  return error;
}

const absl::Status& DeadlineExceededError() {
  static const absl::Status& error =
      *std::make_unique<absl::Status>(
           absl::DeadlineExceededError("context deadline exceeded"))
           .release();
  return error;
}

namespace {

void SignalFd(int fd) {
  const uint64_t one = 1;
  // An eventfd write of 1 cannot fail short of counter overflow, which one write
  // per node cannot reach.
  [[maybe_unused]] ssize_t written = write(fd, &one, sizeof(one));
}

}  // namespace

CancelNode::CancelNode(std::shared_ptr<const Node> parent, absl::Time deadline,
                       absl::Status deadline_cause)
    : Node(std::move(parent)),
      parent_source_(cancel_source_),
      has_timer_(deadline < deadline_),
      deadline_cause_(std::move(deadline_cause)) {
  cancel_source_ = this;
  if (has_timer_) deadline_ = deadline;
}

CancelNode::~CancelNode() {
  if (has_timer_) clock().Unschedule(this);
  if (!left_parent_) LeaveParent();
  // Children and AfterFunc handles hold this node alive, so none is left here.
  absl::MutexLock lock(&mu_);
  if (done_fd_ >= 0) close(done_fd_);
}

void CancelNode::Start() {
  if (parent_source_ != nullptr) {
    absl::Status parent_err, parent_cause;
    {
      absl::MutexLock lock(&parent_source_->mu_);
      if (parent_source_->done_.load(std::memory_order_relaxed)) {
        parent_err = parent_source_->err_;
        parent_cause = parent_source_->cause_;
      } else {
        next_sibling_ = parent_source_->first_child_;
        if (next_sibling_ != nullptr) next_sibling_->prev_sibling_ = this;
        parent_source_->first_child_ = this;
        in_parent_list_ = true;
      }
    }
    if (!parent_err.ok()) {
      Cancel(parent_err, parent_cause);
      return;
    }
  }
  if (!has_timer_) return;
  if (clock().Now() >= deadline_) {
    Cancel(DeadlineExceededError(), deadline_cause_);
    return;
  }
  clock().Schedule(this, deadline_);
  // The parent may have cancelled this node between registration and scheduling; its
  // Cancel() then found nothing to unschedule.
  if (done()) clock().Unschedule(this);
}

bool CancelNode::Cancel(const absl::Status& err, const absl::Status& cause) {
  absl::InlinedVector<std::shared_ptr<CancelNode>, 4> children;
  {
    absl::MutexLock lock(&mu_);
    if (done_.load(std::memory_order_relaxed)) return false;
    err_ = err;
    cause_ = cause.ok() ? err : cause;
    done_.store(true, std::memory_order_release);
    for (CancelNode* child = first_child_; child != nullptr;) {
      CancelNode* next = child->next_sibling_;
      child->in_parent_list_ = false;
      child->prev_sibling_ = child->next_sibling_ = nullptr;
      // A child whose last reference is gone is in its destructor, waiting for mu_
      // to leave this list; it needs no cancelling.
      if (std::shared_ptr<CancelNode> alive = child->weak_from_this().lock()) {
        children.push_back(std::move(alive));
      }
      child = next;
    }
    first_child_ = nullptr;
    if (done_fd_ >= 0) SignalFd(done_fd_);
  }
  LeaveParent();
  if (has_timer_) clock().Unschedule(this);
  for (const std::shared_ptr<CancelNode>& child : children) child->Cancel(err_, cause_);
  children.clear();
  RunCallbacks();
  return true;
}

void CancelNode::LeaveParent() {
  left_parent_ = true;
  if (parent_source_ == nullptr) return;
  absl::MutexLock lock(&parent_source_->mu_);
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
  return done() ? err_ : absl::OkStatus();
}

absl::Status CancelNode::cause() const {
  return done() ? cause_ : absl::OkStatus();
}

bool CancelNode::WaitUntil(absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithDeadline(absl::Condition(this, &CancelNode::done), deadline);
}

absl::StatusOr<int> CancelNode::DoneFd() const {
  absl::MutexLock lock(&mu_);
  if (done_fd_ < 0) {
    const int fd = eventfd(done() ? 1 : 0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) return absl::ErrnoToStatus(errno, "eventfd for Context::DoneFd");
    done_fd_ = fd;
  }
  return done_fd_;
}

void CancelNode::AddCallback(CallbackRecord* record) {
  {
    absl::MutexLock lock(&mu_);
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
  std::move(record->fn_)();
}

bool CancelNode::NotRunning(const CallbackRecord* record) const {
  return running_callback_ != record;
}

bool CancelNode::RemoveCallback(CallbackRecord* record) {
  absl::MutexLock lock(&mu_);
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
    struct Waiting {
      const CancelNode* node;
      const CallbackRecord* record;
      static bool Done(Waiting* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return w->node->NotRunning(w->record);
      }
    } waiting{this, record};
    mu_.Await(absl::Condition(&Waiting::Done, &waiting));
  }
  return false;
}

void CancelNode::RunCallbacks() {
  for (;;) {
    absl::AnyInvocable<void() &&> fn;
    {
      absl::MutexLock lock(&mu_);
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
    std::move(fn)();
  }
}

size_t CancelNode::ChildCount() const {
  absl::MutexLock lock(&mu_);
  size_t count = 0;
  for (const CancelNode* child = first_child_; child != nullptr;
       child = child->next_sibling_) {
    ++count;
  }
  return count;
}

std::shared_ptr<Timer> CancelNode::Retain() { return weak_from_this().lock(); }

void CancelNode::Fire() { Cancel(DeadlineExceededError(), deadline_cause_); }

}  // namespace baton::context_internal
