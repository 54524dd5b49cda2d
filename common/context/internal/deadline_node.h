// DeadlineNode: a CancelNode that also cancels itself at a deadline — the link made
// by WithDeadline, WithTimeout, their *Cause variants and WithDeadlineAndCancelCause.
//
// Internal to common/context. It owns one Timer registration with its tree's Clock,
// removed when it is cancelled or destroyed. The clock holds a strong reference while
// firing (Retain), so the timer never fires into a node being destroyed.
#ifndef BATON_COMMON_CONTEXT_INTERNAL_DEADLINE_NODE_H_
#define BATON_COMMON_CONTEXT_INTERNAL_DEADLINE_NODE_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/context/internal/cancel_node.h"
#include "common/context/internal/timer.h"

namespace baton::context_internal {

class DeadlineNode final : public CancelNode, public Timer {
 public:
  // `deadline` must be earlier than the parent's. `cause` is recorded when this
  // node's own deadline fires (OK: the error itself).
  DeadlineNode(NodeRef<const Node> parent, absl::Time deadline, absl::Status cause);
  ~DeadlineNode() override;

  // CancelNode::Start(), then schedules the deadline or, if it is not after `now`,
  // cancels.
  void Start(absl::Time now);

  // Timer.
  bool TryRetain() override { return TryRef(); }
  void Release() override { Unref(); }
  void Fire() override;

 private:
  void Destroy() const override { DestroyInArena(this); }
  void OnCancel() override;

  const absl::Status cause_;
  // Set when OnCancel() has unscheduled the timer for good; read by the destructor,
  // which runs after every other use.
  bool unscheduled_ = false;
};

}  // namespace baton::context_internal

#endif  // BATON_COMMON_CONTEXT_INTERNAL_DEADLINE_NODE_H_
