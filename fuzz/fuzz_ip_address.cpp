// Addresses as every list and specifier reads them: one parsed prints back to one that parses to the same.
#include "fuzz_check.hpp"
#include "ip_address.hpp"

using namespace mcastexpert;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::text_of(data, size);
  const auto a = IpAddress::parse(text);
  if (!a) return 0;
  const auto back = IpAddress::parse(a->to_string());
  fuzz::require(back.has_value() && back->same_address(*a), "an address does not print back to itself", text);
  return 0;
}
