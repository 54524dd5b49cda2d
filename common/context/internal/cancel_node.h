// CancelNode: the link made by WithCancel and WithCancelCause (and, extended by
// DeadlineNode, by WithDeadline and WithTimeout).
//
// Internal to common/context. A CancelNode is done once: the first Cancel() records
// err and cause, and everything after it is a no-op, so a late cancel never replaces
// the first cause. On Cancel it, in order: publishes done (one atomic store, which is
// all Err() reads), wakes waiters and the done descriptor, leaves its parent's child
// list, stops its timer (DeadlineNode), cancels its children with the same reason and
// cause, marks itself settled, and runs AfterFunc callbacks — the last three with no
// lock held. A Cancel that finds the node done waits until it is settled (but never
// from inside an AfterFunc callback), so that whichever Cancel returns, the
// descendants are done.
//
// Children are kept in an intrusive list (no allocation per child, none to cancel
// them all); a child leaves it when it is cancelled or destroyed, so a long-lived
// parent's list does not grow.
//
// Locks: a node's mu_ guards its own state and its children's sibling links. No two
// locks (this node's, its parent's, the clock's) are ever held at once.
// mu_ is a NodeMutex (node_mutex.h says why).
#ifndef BATON_COMMON_CONTEXT_INTERNAL_CANCEL_NODE_H_
#define BATON_COMMON_CONTEXT_INTERNAL_CANCEL_NODE_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/context/internal/callback_record.h"
#include "common/context/internal/node.h"
#include "common/context/internal/node_mutex.h"

namespace baton::context_internal {

// Why a node is done. The errors themselves are canonical statuses built once, so
// cancelling never allocates or copies a message.
enum class DoneReason : uint8_t { kLive, kCanceled, kDeadlineExceeded };
const absl::Status& ErrorFor(DoneReason reason);

class CancelNode : public Node {
 public:
  explicit CancelNode(NodeRef<const Node> parent);
  ~CancelNode() override;

  // Joins the parent's child list, or cancels at once if the parent is done. Call
  // once, right after construction.
  void Start();

  // Cancels for `reason`, recording `cause` (OK means "the error itself"). Returns
  // false if already done. Either way, when it returns this node and every descendant
  // it had are done: a Cancel that finds this node, or a child, being cancelled by
  // another thread waits for that cancel to reach its descendants — unless it is
  // called from an AfterFunc callback, which must never wait (the cancel it would
  // wait for may be the one running it).
  bool Cancel(DoneReason reason, const absl::Status& cause) {
    return CancelImpl(reason, cause, /*detached_by_parent=*/false, /*await_if_lost=*/true);
  }

  bool done() const { return reason_.load(std::memory_order_acquire) != DoneReason::kLive; }
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
  // How many AfterFunc callbacks are pending now.
  size_t CallbackCount() const;

 protected:
  void Destroy() const override { DestroyInArena(this); }
  // Called once by Cancel(), with no lock held. A DeadlineNode stops its timer here.
  virtual void OnCancel() {}
  // Cancel() for the clock's timer thread, which nobody waits on: it does not wait for
  // another thread's cancel to settle (every other deadline would wait with it).
  void CancelFromTimer(DoneReason reason, const absl::Status& cause) {
    CancelImpl(reason, cause, /*detached_by_parent=*/false, /*await_if_lost=*/false);
  }

 private:
  // `detached_by_parent`: the parent already took this node out of its list.
  bool CancelImpl(DoneReason reason, const absl::Status& cause, bool detached_by_parent,
                  bool await_if_lost);
  void LeaveParent();
  // Until the cancel that won has cancelled the descendants (see Cancel).
  void AwaitSettled() const;
  void CancelDetachedChildren(CancelNode* first, DoneReason reason);
  void RunCallbacks();
  // Blocks on mu_ until `done_waiting()`.
  template <typename Predicate>
  void WaitLocked(std::unique_lock<NodeMutex>& lock, absl::Time deadline,
                  Predicate done_waiting) const;

  // The nearest cancellable ancestor when this node was made; null if none.
  CancelNode* const parent_source_;

  mutable NodeMutex mu_;
  // Signalled on done and after each callback. Made by the first waiter: most nodes
  // are never waited on. Guarded by mu_.
  mutable std::unique_ptr<std::condition_variable_any> changed_;
  // kLive until done; written once, under mu_. All Err() reads.
  std::atomic<DoneReason> reason_{DoneReason::kLive};
  // Set once the winning cancel has cancelled the children; a losing Cancel waits for
  // it (on changed_, only when settle_waiters_ says someone is waiting).
  std::atomic<bool> settled_{false};
  mutable std::atomic<int> settle_waiters_{0};
  // Written once, under mu_, before reason_ is published; read-only after. OK means
  // the cause is the error itself.
  absl::Status cause_;

  // Children: an intrusive list of nodes whose parent_source_ is this.
  CancelNode* first_child_ = nullptr;  // Guarded by mu_.
  // This node's links in parent_source_'s list; guarded by parent_source_->mu_.
  CancelNode* prev_sibling_ = nullptr;
  CancelNode* next_sibling_ = nullptr;
  bool in_parent_list_ = false;
  // Set by the parent while it cancels its children: keeps this node alive from the
  // moment the parent detaches it until the parent has cancelled it.
  NodeRef<CancelNode> kept_by_parent_;
  // Set by the one successful Cancel(); read by the destructor, which runs after every
  // other use of the node.
  bool left_parent_ = false;

  CallbackRecord* first_callback_ = nullptr;  // Guarded by mu_.
  CallbackRecord* last_callback_ = nullptr;  // Guarded by mu_.
  const CallbackRecord* running_callback_ = nullptr;  // Guarded by mu_.
  std::thread::id running_thread_;  // Guarded by mu_.

  mutable int done_fd_ = -1;  // Guarded by mu_.
};

}  // namespace baton::context_internal

#endif  // BATON_COMMON_CONTEXT_INTERNAL_CANCEL_NODE_H_
