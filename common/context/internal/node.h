// Node: one link of a Context chain, and the value-carrying link.
//
// Internal to common/context; users see only Context. Every node copies from its parent
// the facts a query needs — the clock, the nearest cancellable ancestor, the nearest
// value, the deadline — so Err() and Deadline() are O(1) and Value() walks only the
// value links. A node owns its parent, so a Context keeps its whole ancestry alive.
// Nodes are immutable after construction; a CancelNode's cancellation state is
// internally synchronized.
#ifndef BATON_COMMON_CONTEXT_INTERNAL_NODE_H_
#define BATON_COMMON_CONTEXT_INTERNAL_NODE_H_

#include <memory>
#include <utility>

#include "absl/time/time.h"
#include "common/context/clock.h"

namespace baton::context_internal {

class CancelNode;
class ValueNodeBase;

class Node {
 public:
  // A root: no parent, never done, no values, no deadline.
  explicit Node(Clock& clock) : clock_(&clock) {}
  // A child of `parent`, inheriting everything (null parent means Background()).
  explicit Node(std::shared_ptr<const Node> parent);
  virtual ~Node() = default;

  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  Clock& clock() const { return *clock_; }
  // The nearest node (this or an ancestor) that can be cancelled; null if none can.
  CancelNode* cancel_source() const { return cancel_source_; }
  // The nearest value-carrying node (this or an ancestor); null if none.
  const ValueNodeBase* values() const { return values_; }
  absl::Time deadline() const { return deadline_; }

 protected:
  // Derived constructors override what their kind changes.
  Clock* clock_ = &Clock::Real();
  CancelNode* cancel_source_ = nullptr;
  const ValueNodeBase* values_ = nullptr;
  absl::Time deadline_ = absl::InfiniteFuture();

 private:
  std::shared_ptr<const Node> parent_;
};

// The untyped part of a WithValue link; the key's address is its identity.
class ValueNodeBase : public Node {
 public:
  ValueNodeBase(std::shared_ptr<const Node> parent, const void* key)
      : Node(std::move(parent)), key_(key), next_(values_) {
    values_ = this;
  }

  const void* key() const { return key_; }
  const ValueNodeBase* next() const { return next_; }

 private:
  const void* const key_;
  const ValueNodeBase* const next_;
};

template <typename T>
class ValueNode final : public ValueNodeBase {
 public:
  template <typename U>
  ValueNode(std::shared_ptr<const Node> parent, const void* key, U&& value)
      : ValueNodeBase(std::move(parent), key), value_(std::forward<U>(value)) {}

  const T& value() const { return value_; }

 private:
  const T value_;
};

// WithoutCancel's link: keeps the values and the clock, forgets cancellation and
// deadline.
class DetachedNode final : public Node {
 public:
  explicit DetachedNode(std::shared_ptr<const Node> parent) : Node(std::move(parent)) {
    cancel_source_ = nullptr;
    deadline_ = absl::InfiniteFuture();
  }
};

}  // namespace baton::context_internal

#endif  // BATON_COMMON_CONTEXT_INTERNAL_NODE_H_
