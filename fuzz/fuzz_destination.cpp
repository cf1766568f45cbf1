// The sink's add/remove/get-stats arguments: a group text and a port (any 64-bit value, as a caller may pass).
#include <cstring>

#include "destination.hpp"
#include "error.hpp"
#include "fuzz_check.hpp"

using namespace mcastexpert;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  long long port = 0;
  const size_t n = size < sizeof port ? size : sizeof port;
  std::memcpy(&port, data, n);
  const std::string text = fuzz::text_of(data + n, size - n);
  try {
    const Destination d = parse_destination(text, port);
    fuzz::require(d.group.is_multicast(), "a destination is not multicast", text);
    fuzz::require(d.port >= 1 && d.port == port, "a destination's port is not the one given", text);
  } catch (const Error&) {
  }
  return 0;
}
