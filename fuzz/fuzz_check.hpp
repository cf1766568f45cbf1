// What every fuzz target shares: the input as text, and a check that aborts (a finding) when a property fails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace fuzz {

inline std::string text_of(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A parser's promise broken: print what and stop, so libFuzzer keeps the input.
inline void require(bool ok, const char* what, const std::string& input) {
  if (ok) return;
  std::fprintf(stderr, "fuzz: %s for input '%s'\n", what, input.c_str());
  std::abort();
}

}  // namespace fuzz
