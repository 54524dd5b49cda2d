// ContextKey<T>: the typed name of a value stored in a Context.
//
// A key is an object; its address is its identity, its type is the type of the value
// stored under it. Define each key once, at namespace scope, usually `inline constexpr`
// in the header of the library that owns the value:
//
//   inline constexpr ContextKey<std::string> kTenant("tenant");
//   Context child = WithValue(ctx, kTenant, "acme");
//   const std::string* tenant = child.Value(kTenant);   // typed; null when absent
//
// Two keys never collide, even with the same name; the name is for debugging only.
// Keys are neither copyable nor movable, so a copy cannot silently become a new key.
#ifndef BATON_COMMON_CONTEXT_CONTEXT_KEY_H_
#define BATON_COMMON_CONTEXT_CONTEXT_KEY_H_

namespace baton {

template <typename T>
class ContextKey {
 public:
  constexpr explicit ContextKey(const char* name) : name_(name) {}
  ContextKey(const ContextKey&) = delete;
  ContextKey& operator=(const ContextKey&) = delete;

  const char* name() const { return name_; }

 private:
  const char* name_;
};

}  // namespace baton

#endif  // BATON_COMMON_CONTEXT_CONTEXT_KEY_H_
