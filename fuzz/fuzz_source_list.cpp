// sources / block-sources: every address parsed prints back to one that parses to the same address.
#include "address_list.hpp"
#include "error.hpp"
#include "fuzz_check.hpp"

using namespace mcastexpert;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::text_of(data, size);
  std::vector<IpAddress> sources;
  try {
    sources = parse_source_list(text);
  } catch (const Error&) {
    return 0;
  }
  for (const auto& s : sources) {
    const auto back = IpAddress::parse(s.to_string());
    fuzz::require(back.has_value() && back->same_address(s), "a source does not print back to itself", text);
  }
  return 0;
}
