// libFuzzer target: storage URLs (a flag's value, from an operator or a manifest).
// An accepted URL must name a backend and, for PostgreSQL, give a conninfo string.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/storage/storage_url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  baton::storage::ParseStorageUrl(
      std::string_view(reinterpret_cast<const char*>(data), size)).IgnoreError();
  return 0;
}
