#include "common/context/introspection.h"

#include "common/context/internal/cancel_node.h"

namespace baton {

size_t RegisteredChildren(const Context& ctx) {
  const auto& node = ContextAccess::node(ctx);
  const context_internal::CancelNode* source = node ? node->cancel_source() : nullptr;
  return source != nullptr ? source->ChildCount() : 0;
}

size_t PendingCallbacks(const Context& ctx) {
  const auto& node = ContextAccess::node(ctx);
  const context_internal::CancelNode* source = node ? node->cancel_source() : nullptr;
  return source != nullptr ? source->CallbackCount() : 0;
}

}  // namespace baton
