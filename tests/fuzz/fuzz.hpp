// What every fuzz target shares: the libFuzzer entry points, a check that
// stops the run (a crash libFuzzer records) when a property of ours fails, and
// a reader of the input for targets that decode it into operations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);

#define FUZZ_CHECK(condition)                                                              \
  do {                                                                                     \
    if (!(condition)) {                                                                    \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)

namespace fuzz {

// Reads the input front to back; past its end, zeros.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | u8();
    return v;
  }
  // Small numbers are what handlers branch on: mostly 0..255, sometimes any.
  uint32_t number() {
    uint8_t kind = u8();
    if (kind < 0xc0) return u8();
    if (kind < 0xf0) return u8() | uint32_t(u8()) << 8;
    return u32();
  }
  std::string text() {
    size_t len = u8() % 32;
    std::string s;
    for (size_t i = 0; i < len && !empty(); ++i) s += char(u8() | 1);  // no NUL inside
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_, pos_ = 0;
};

}  // namespace fuzz
