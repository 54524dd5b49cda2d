// CallbackRecord: one AfterFunc registration.
//
// Internal to common/context. Owned by its AfterFuncHandle; linked into a CancelNode's
// callback list while pending, and only touched under that node's lock.
#ifndef BATON_COMMON_CONTEXT_INTERNAL_CALLBACK_RECORD_H_
#define BATON_COMMON_CONTEXT_INTERNAL_CALLBACK_RECORD_H_

#include <utility>

#include "absl/functional/any_invocable.h"

namespace baton::context_internal {

class CallbackRecord {
 public:
  explicit CallbackRecord(absl::AnyInvocable<void() &&> fn) : fn_(std::move(fn)) {}
  CallbackRecord(const CallbackRecord&) = delete;
  CallbackRecord& operator=(const CallbackRecord&) = delete;

 private:
  friend class CancelNode;
  absl::AnyInvocable<void() &&> fn_;
  CallbackRecord* prev_ = nullptr;
  CallbackRecord* next_ = nullptr;
  bool linked_ = false;
};

}  // namespace baton::context_internal

#endif  // BATON_COMMON_CONTEXT_INTERNAL_CALLBACK_RECORD_H_
