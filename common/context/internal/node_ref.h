// NodeRef<T>: an owning, reference-counted pointer to a Context node.
//
// Internal to common/context. Like std::shared_ptr, but the count lives in the node
// (Node::refs_), so there is no control block, no weak count, and taking a reference
// to a node that might be dying is one compare-and-swap (Node::TryRef). Copying adds a
// reference; destroying drops one; the last one destroys the node.
#ifndef BATON_COMMON_CONTEXT_INTERNAL_NODE_REF_H_
#define BATON_COMMON_CONTEXT_INTERNAL_NODE_REF_H_

#include <cstddef>
#include <type_traits>
#include <utility>

namespace baton::context_internal {

template <typename T>
class NodeRef {
 public:
  NodeRef() = default;
  NodeRef(std::nullptr_t) {}  // NOLINT: a null reference converts implicitly.

  // Takes over the reference the caller holds (a new node starts with one).
  static NodeRef Adopt(T* node) {
    NodeRef ref;
    ref.node_ = node;
    return ref;
  }
  // Adds a reference to a node known to be alive.
  static NodeRef Share(T* node) {
    if (node != nullptr) node->Ref();
    return Adopt(node);
  }

  NodeRef(const NodeRef& other) : node_(other.node_) {
    if (node_ != nullptr) node_->Ref();
  }
  NodeRef(NodeRef&& other) noexcept : node_(std::exchange(other.node_, nullptr)) {}
  template <typename U, typename = std::enable_if_t<std::is_convertible_v<U*, T*>>>
  NodeRef(NodeRef<U>&& other) noexcept : node_(other.Release()) {}  // NOLINT

  NodeRef& operator=(NodeRef other) noexcept {
    std::swap(node_, other.node_);
    return *this;
  }
  ~NodeRef() {
    if (node_ != nullptr) node_->Unref();
  }

  T* get() const { return node_; }
  T* operator->() const { return node_; }
  T& operator*() const { return *node_; }
  explicit operator bool() const { return node_ != nullptr; }
  bool operator==(std::nullptr_t) const { return node_ == nullptr; }

  // Gives up ownership without dropping the reference.
  T* Release() { return std::exchange(node_, nullptr); }

 private:
  T* node_ = nullptr;
};

}  // namespace baton::context_internal

#endif  // BATON_COMMON_CONTEXT_INTERNAL_NODE_REF_H_
