#include "common/context/internal/node.h"

namespace baton::context_internal {

Node::Node(std::shared_ptr<const Node> parent) : parent_(std::move(parent)) {
  if (parent_ == nullptr) return;
  clock_ = parent_->clock_;
  cancel_source_ = parent_->cancel_source_;
  values_ = parent_->values_;
  deadline_ = parent_->deadline_;
}

}  // namespace baton::context_internal
