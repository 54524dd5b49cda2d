// Node: one link of a Context chain, and the value-carrying link.
//
// Internal to common/context; users see only Context. Every node copies from its parent
// the facts a query needs — the clock, the nearest cancellable ancestor, the nearest
// value, the deadline — so Err() and Deadline() are O(1) and Value() walks only the
// value links. A node owns a reference to its parent, so a Context keeps its whole
// ancestry alive. Nodes are immutable after construction; a CancelNode's cancellation
// state is internally synchronized.
//
// Nodes are reference counted in place (NodeRef) and live in NodeArena memory; each
// final node type destroys itself through DestroyInArena when its last reference goes.
#ifndef BATON_COMMON_CONTEXT_INTERNAL_NODE_H_
#define BATON_COMMON_CONTEXT_INTERNAL_NODE_H_

#include <atomic>
#include <cstdint>
#include <utility>

#include "absl/time/time.h"
#include "common/context/clock.h"
#include "common/context/internal/node_arena.h"
#include "common/context/internal/node_ref.h"

namespace baton::context_internal {

class CancelNode;
class ValueNodeBase;

class Node {
 public:
  // A root: no parent, never done, no values, no deadline.
  explicit Node(Clock& clock) : clock_(&clock) {}
  // A child of `parent`, inheriting everything (null parent means Background()).
  explicit Node(NodeRef<const Node> parent);

  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  Clock& clock() const { return clock_ != nullptr ? *clock_ : Clock::Real(); }
  // The nearest node (this or an ancestor) that can be cancelled; null if none can.
  CancelNode* cancel_source() const { return cancel_source_; }
  // The nearest value-carrying node (this or an ancestor); null if none.
  const ValueNodeBase* values() const { return values_; }
  absl::Time deadline() const { return deadline_; }

  // Reference counting, for NodeRef.
  void Ref() const { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() const {
    // A node nobody can TryRef, held only by the caller, cannot gain a reference
    // meanwhile (that takes one): it is freed without an atomic read-modify-write.
    // The acquire load pairs with earlier owners' release decrements.
    if (!try_ref_reachable_.load(std::memory_order_acquire) &&
        refs_.load(std::memory_order_acquire) == 1) {
      Destroy();
      return;
    }
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) Destroy();
  }
  // Adds a reference unless the count already reached zero (the node is dying).
  bool TryRef() const;
  // Adds a reference without an atomic read-modify-write: only while no other thread
  // can reach this node yet (before it is published to a parent or a clock).
  void RefUnpublished() const {
    refs_.store(refs_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

 protected:
  virtual ~Node() = default;
  // Ends this node's life and frees its memory: DestroyInArena(this) in each final type.
  virtual void Destroy() const = 0;

  // Derived constructors override what their kind changes.
  Clock* clock_ = nullptr;  // Null: Clock::Real().
  CancelNode* cancel_source_ = nullptr;
  const ValueNodeBase* values_ = nullptr;
  absl::Time deadline_ = absl::InfiniteFuture();
  // True while others may TryRef this node (a parent cancelling its children, a clock
  // firing a timer); then the last reference is always dropped atomically. A
  // CancelNode clears it once it is done, out of its parent's list and off the clock.
  std::atomic<bool> try_ref_reachable_{false};

 private:
  mutable std::atomic<int32_t> refs_{1};
  NodeRef<const Node> parent_;
};

// A root on a clock other than the real one: Background(clock).
class RootNode final : public Node {
 public:
  explicit RootNode(Clock& clock) : Node(clock) {}

 private:
  void Destroy() const override { DestroyInArena(this); }
};

// The untyped part of a WithValue link; the key's address is its identity.
class ValueNodeBase : public Node {
 public:
  ValueNodeBase(NodeRef<const Node> parent, const void* key)
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
  ValueNode(NodeRef<const Node> parent, const void* key, U&& value)
      : ValueNodeBase(std::move(parent), key), value_(std::forward<U>(value)) {}

  const T& value() const { return value_; }

 private:
  void Destroy() const override { DestroyInArena(this); }

  const T value_;
};

// WithoutCancel's link: keeps the values and the clock, forgets cancellation and
// deadline.
class DetachedNode final : public Node {
 public:
  explicit DetachedNode(NodeRef<const Node> parent) : Node(std::move(parent)) {
    cancel_source_ = nullptr;
    deadline_ = absl::InfiniteFuture();
  }

 private:
  void Destroy() const override { DestroyInArena(this); }
};

}  // namespace baton::context_internal

#endif  // BATON_COMMON_CONTEXT_INTERNAL_NODE_H_
