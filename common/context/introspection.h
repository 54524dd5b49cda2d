// Introspection of a Context's cancellation state, for tests, soak checks and metrics.
// Not for control flow: the answers can change as soon as they are returned.
#ifndef BATON_COMMON_CONTEXT_INTROSPECTION_H_
#define BATON_COMMON_CONTEXT_INTROSPECTION_H_

#include <cstddef>

#include "common/context/context.h"

namespace baton {

// How many cancellable children are registered with `ctx`'s nearest cancellable
// ancestor (itself, if it is one). A child leaves when it is cancelled or destroyed, so
// on a long-lived Context this number must not grow with the requests it has served.
size_t RegisteredChildren(const Context& ctx);

// How many AfterFunc callbacks wait on `ctx`'s nearest cancellable ancestor. Each
// leaves when it runs or is stopped, so this too must not grow on a long-lived Context.
size_t PendingCallbacks(const Context& ctx);

}  // namespace baton

#endif  // BATON_COMMON_CONTEXT_INTROSPECTION_H_
