#include "common/context/context.h"

#include <memory>
#include <utility>

#include "absl/time/clock.h"
#include "common/context/internal/cancel_node.h"
#include "common/context/internal/deadline_node.h"

namespace baton {

using context_internal::CallbackRecord;
using context_internal::CancelNode;
using context_internal::DeadlineNode;
using context_internal::DetachedNode;
using context_internal::MakeInArena;
using context_internal::Node;
using context_internal::NodeRef;
using context_internal::RootNode;

absl::Duration Context::Remaining() const {
  const absl::Time deadline = Deadline();
  if (deadline == absl::InfiniteFuture()) return absl::InfiniteDuration();
  return deadline - clock().Now();
}

absl::Status Context::Err() const {
  const CancelNode* node = source();
  if (node == nullptr || !node->done()) return absl::OkStatus();
  return node->err();
}

bool Context::IsDone() const {
  const CancelNode* node = source();
  return node != nullptr && node->done();
}

void Context::Wait() const { WaitUntil(absl::InfiniteFuture()); }

bool Context::WaitFor(absl::Duration timeout) const {
  return WaitUntil(absl::Now() + timeout);
}

bool Context::WaitUntil(absl::Time deadline) const {
  const CancelNode* node = source();
  if (node == nullptr) {
    absl::SleepFor(deadline - absl::Now());
    return false;
  }
  return node->WaitUntil(deadline);
}

absl::StatusOr<int> Context::DoneFd() const {
  const CancelNode* node = source();
  if (node == nullptr) return -1;
  return node->DoneFd();
}

// Out of line: the handles' members need the complete node types.
CancelHandle::CancelHandle() = default;
CancelHandle::CancelHandle(NodeRef<CancelNode> node) : node_(std::move(node)) {}
CancelHandle::CancelHandle(CancelHandle&&) noexcept = default;
CancelHandle::~CancelHandle() { Cancel(); }
CancelCauseHandle::CancelCauseHandle() = default;
AfterFuncHandle::AfterFuncHandle() = default;
AfterFuncHandle::AfterFuncHandle(AfterFuncHandle&&) noexcept = default;
AfterFuncHandle::~AfterFuncHandle() { Stop(); }

CancelHandle& CancelHandle::operator=(CancelHandle&& other) noexcept {
  if (this != &other) {
    Cancel();
    node_ = std::move(other.node_);
  }
  return *this;
}

void CancelHandle::Cancel() { CancelWithCause(absl::OkStatus()); }

void CancelHandle::CancelWithCause(const absl::Status& cause) {
  if (node_ == nullptr) return;
  // The reference is kept until the handle goes, so that Cancel may race with Cancel.
  node_->Cancel(context_internal::DoneReason::kCanceled, cause);
}

AfterFuncHandle& AfterFuncHandle::operator=(AfterFuncHandle&& other) noexcept {
  if (this != &other) {
    Stop();
    node_ = std::move(other.node_);
    record_ = std::move(other.record_);
  }
  return *this;
}

bool AfterFuncHandle::Stop() {
  if (node_ == nullptr) return false;
  const bool stopped = node_->RemoveCallback(record_.get());
  record_.reset();
  node_ = nullptr;
  return stopped;
}

AfterFuncHandle ContextAccess::MakeAfterFunc(NodeRef<CancelNode> node,
                                             std::unique_ptr<CallbackRecord> record) {
  AfterFuncHandle handle;
  handle.node_ = std::move(node);
  handle.record_ = std::move(record);
  return handle;
}

Context Background(Clock& clock) {
  return ContextAccess::Make(NodeRef<const Node>::Adopt(MakeInArena<RootNode>(clock)));
}

namespace {

// A CancelNode, or a DeadlineNode when `deadline` is earlier than the parent's (a later
// one could never fire first, as in Go).
// `now` is the clock's time when the caller computed `deadline`. The node comes back
// with two references — the Context's and the handle's — both taken before anything
// else can see it.
CancelNode* StartCancelNode(const Context& parent, absl::Time deadline, absl::Time now,
                            absl::Status deadline_cause) {
  if (deadline < parent.Deadline()) {
    DeadlineNode* node = MakeInArena<DeadlineNode>(ContextAccess::node(parent), deadline,
                                                   std::move(deadline_cause));
    node->RefUnpublished();
    node->Start(now);
    return node;
  }
  CancelNode* node = MakeInArena<CancelNode>(ContextAccess::node(parent));
  node->RefUnpublished();
  node->Start();
  return node;
}

template <typename Handle>
DerivedContext<Handle> Derive(const Context& parent, absl::Time deadline, absl::Time now,
                              absl::Status deadline_cause) {
  CancelNode* node = StartCancelNode(parent, deadline, now, std::move(deadline_cause));
  return {ContextAccess::Make(NodeRef<const Node>::Adopt(node)),
          ContextAccess::MakeHandle<Handle>(NodeRef<CancelNode>::Adopt(node))};
}

// The clock is read only when the deadline can matter.
template <typename Handle>
DerivedContext<Handle> DeriveWithDeadline(const Context& parent, absl::Time deadline,
                                          absl::Status cause) {
  const absl::Time now =
      deadline < parent.Deadline() ? parent.clock().Now() : absl::InfinitePast();
  return Derive<Handle>(parent, deadline, now, std::move(cause));
}

}  // namespace

DerivedContext<CancelHandle> WithCancel(const Context& parent) {
  return Derive<CancelHandle>(parent, absl::InfiniteFuture(), absl::InfinitePast(),
                              absl::OkStatus());
}

DerivedContext<CancelCauseHandle> WithCancelCause(const Context& parent) {
  return Derive<CancelCauseHandle>(parent, absl::InfiniteFuture(), absl::InfinitePast(),
                                   absl::OkStatus());
}

DerivedContext<CancelHandle> WithDeadline(const Context& parent, absl::Time deadline) {
  return WithDeadlineCause(parent, deadline, absl::OkStatus());
}

DerivedContext<CancelHandle> WithDeadlineCause(const Context& parent, absl::Time deadline,
                                               absl::Status cause) {
  return DeriveWithDeadline<CancelHandle>(parent, deadline, std::move(cause));
}

DerivedContext<CancelCauseHandle> WithDeadlineAndCancelCause(const Context& parent,
                                                             absl::Time deadline,
                                                             absl::Status deadline_cause) {
  return DeriveWithDeadline<CancelCauseHandle>(parent, deadline, std::move(deadline_cause));
}

DerivedContext<CancelHandle> WithTimeout(const Context& parent, absl::Duration timeout) {
  return WithTimeoutCause(parent, timeout, absl::OkStatus());
}

DerivedContext<CancelHandle> WithTimeoutCause(const Context& parent,
                                              absl::Duration timeout, absl::Status cause) {
  const absl::Time now = parent.clock().Now();
  return Derive<CancelHandle>(parent, now + timeout, now, std::move(cause));
}

Context WithoutCancel(const Context& parent) {
  return ContextAccess::Make(
      NodeRef<const Node>::Adopt(MakeInArena<DetachedNode>(ContextAccess::node(parent))));
}

AfterFuncHandle AfterFunc(const Context& ctx, absl::AnyInvocable<void() &&> f) {
  const NodeRef<const Node>& node = ContextAccess::node(ctx);
  CancelNode* source = node ? node->cancel_source() : nullptr;
  if (source == nullptr) return AfterFuncHandle();
  auto record = std::make_unique<CallbackRecord>(std::move(f));
  // The handle keeps the source alive until it is stopped, so the record stays valid.
  // (`ctx` holds the source alive now, so a plain reference is safe to add.)
  NodeRef<CancelNode> owner = NodeRef<CancelNode>::Share(source);
  owner->AddCallback(record.get());
  return ContextAccess::MakeAfterFunc(std::move(owner), std::move(record));
}

absl::Status Cause(const Context& ctx) {
  const NodeRef<const Node>& node = ContextAccess::node(ctx);
  const CancelNode* source = node ? node->cancel_source() : nullptr;
  return source != nullptr ? source->cause() : absl::OkStatus();
}

}  // namespace baton
