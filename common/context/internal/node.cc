#include "common/context/internal/node.h"

namespace baton::context_internal {

Node::Node(NodeRef<const Node> parent) : parent_(std::move(parent)) {
  if (parent_ == nullptr) return;
  clock_ = parent_->clock_;
  cancel_source_ = parent_->cancel_source_;
  values_ = parent_->values_;
  deadline_ = parent_->deadline_;
}

bool Node::TryRef() const {
  int32_t refs = refs_.load(std::memory_order_relaxed);
  while (refs != 0) {
    if (refs_.compare_exchange_weak(refs, refs + 1, std::memory_order_acquire,
                                    std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

}  // namespace baton::context_internal
