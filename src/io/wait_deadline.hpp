// Turning "this many nanoseconds are left" into a poll() timeout without overflow.
#pragma once

#include <cstdint>

namespace mcastexpert {

// poll()'s timeout for a wait with `remaining_ns` left: rounded up to whole milliseconds, so the wait never ends
// early, and capped at INT_MAX ms (about 24.8 days). A longer wait ends at the cap, and the caller, finding its
// deadline not reached, waits again.
int poll_timeout_ms(uint64_t remaining_ns) noexcept;

// How much of a `period_ns` wait begun `elapsed_ns` ago is left (0 once it is over).
inline uint64_t remaining_ns(uint64_t period_ns, uint64_t elapsed_ns) noexcept {
  return elapsed_ns >= period_ns ? 0 : period_ns - elapsed_ns;
}

}  // namespace mcastexpert
