#include "common/context/internal/deadline_node.h"

#include <utility>

namespace baton::context_internal {

DeadlineNode::DeadlineNode(NodeRef<const Node> parent, absl::Time deadline,
                           absl::Status cause)
    : CancelNode(std::move(parent)), cause_(std::move(cause)) {
  deadline_ = deadline;
}

DeadlineNode::~DeadlineNode() {
  if (!unscheduled_) clock().Unschedule(this);
}

void DeadlineNode::Start(absl::Time now) {
  CancelNode::Start();
  if (done()) return;
  if (now >= deadline_) {
    Cancel(DoneReason::kDeadlineExceeded, cause_);
    return;
  }
  clock().Schedule(this, deadline_);
  // The parent may have cancelled this node between registration and scheduling;
  // OnCancel() then found nothing to unschedule.
  if (done()) clock().Unschedule(this);
}

void DeadlineNode::Fire() { CancelFromTimer(DoneReason::kDeadlineExceeded, cause_); }

void DeadlineNode::OnCancel() {
  clock().Unschedule(this);
  // Start() unschedules again itself if it scheduled after this ran (it sees done()).
  unscheduled_ = true;
}

}  // namespace baton::context_internal
