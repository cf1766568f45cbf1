#include "wait_deadline.hpp"

#include <climits>

namespace mcastexpert {

int poll_timeout_ms(uint64_t remaining_ns) noexcept {
  constexpr uint64_t kNsPerMs = 1000000;
  const uint64_t ms = remaining_ns / kNsPerMs + (remaining_ns % kNsPerMs != 0 ? 1 : 0);
  return ms > static_cast<uint64_t>(INT_MAX) ? INT_MAX : static_cast<int>(ms);
}

}  // namespace mcastexpert
