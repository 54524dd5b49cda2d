// CancelNode: the link made by WithCancel, WithDeadline and their *Cause variants.
//
// Internal to common/context. A CancelNode is done once: the first Cancel() records
// err and cause, and everything after it is a no-op, so a late cancel never replaces
// the first cause. On Cancel it, in order: publishes done (one atomic store, which is
// all Err() reads), wakes waiters and the done descriptor, leaves its parent's child
// list, unschedules its deadline, cancels its children with the same err and cause,
// and runs AfterFunc callbacks — the last two with no lock held.
//
// Children are kept in an intrusive list (no allocation per child); a child leaves it
// when it is cancelled or destroyed, so a long-lived parent's list does not grow.
//
// Locks: a node's mu_ guards its own state and its children's sibling links. No two
// locks (this node's, its parent's, the clock's) are ever held at once.
#ifndef BATON_COMMON_CONTEXT_INTERNAL_CANCEL_NODE_H_
#define BATON_COMMON_CONTEXT_INTERNAL_CANCEL_NODE_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/context/internal/callback_record.h"
#include "common/context/internal/node.h"
#include "common/context/internal/timer.h"

namespace baton::context_internal {

// The canonical errors, built once so cancelling never allocates a message.
const absl::Status& CanceledError();
const absl::Status& DeadlineExceededError();

class CancelNode final : public Node,
                         public Timer,
                         public std::enable_shared_from_this<CancelNode> {
 public:
  // `deadline` is clamped to the parent's; `deadline_cause` is the cause reported when
  // this node's own deadline fires (OK means "same as the error").
  CancelNode(std::shared_ptr<const Node> parent, absl::Time deadline,
             absl::Status deadline_cause);
  ~CancelNode() override;

  // Joins the parent's child list (or cancels at once if the parent is done) and
  // schedules the deadline (or cancels at once if it has passed). Call once, right
  // after construction through make_shared.
  void Start();

  // Cancels with `err` and `cause` (OK cause means `err`). Returns false if already done.
  bool Cancel(const absl::Status& err, const absl::Status& cause);

  bool done() const { return done_.load(std::memory_order_acquire); }
  // OK while live; CANCELLED or DEADLINE_EXCEEDED after.
  absl::Status err() const;
  // OK while live; the recorded cause after.
  absl::Status cause() const;

  // Blocks until done or until real time `deadline`; returns done().
  bool WaitUntil(absl::Time deadline) const;

  // An eventfd that becomes readable once done; created on first call, closed with the
  // node.
  absl::StatusOr<int> DoneFd() const;

  // Links `record` to run when done; if already done, runs it now on this thread.
  void AddCallback(CallbackRecord* record);
  // Unlinks `record`. Returns true if that stopped it from running. If it is running
  // on another thread, waits for it to finish first.
  bool RemoveCallback(CallbackRecord* record);

  // How many children are registered now.
  size_t ChildCount() const;

  // Timer.
  std::shared_ptr<Timer> Retain() override;
  void Fire() override;

 private:
  void LeaveParent();
  void RunCallbacks();
  bool NotRunning(const CallbackRecord* record) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The nearest cancellable ancestor when this node was made; null if none.
  CancelNode* const parent_source_;
  const bool has_timer_;
  const absl::Status deadline_cause_;

  mutable absl::Mutex mu_;
  std::atomic<bool> done_{false};
  // Written once, under mu_, before done_ is published; read-only after.
  absl::Status err_;
  absl::Status cause_;

  // Children: an intrusive list of nodes whose parent_source_ is this.
  CancelNode* first_child_ ABSL_GUARDED_BY(mu_) = nullptr;
  // This node's links in parent_source_'s list; guarded by parent_source_->mu_.
  CancelNode* prev_sibling_ = nullptr;
  CancelNode* next_sibling_ = nullptr;
  bool in_parent_list_ = false;
  // Set by the one call of LeaveParent() from Cancel(); read by the destructor, which
  // runs after every other use of the node.
  bool left_parent_ = false;

  CallbackRecord* first_callback_ ABSL_GUARDED_BY(mu_) = nullptr;
  CallbackRecord* last_callback_ ABSL_GUARDED_BY(mu_) = nullptr;
  const CallbackRecord* running_callback_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread::id running_thread_ ABSL_GUARDED_BY(mu_);

  mutable int done_fd_ ABSL_GUARDED_BY(mu_) = -1;
};

}  // namespace baton::context_internal

#endif  // BATON_COMMON_CONTEXT_INTERNAL_CANCEL_NODE_H_
