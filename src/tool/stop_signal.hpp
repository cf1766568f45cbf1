// Ctrl-C and SIGTERM end send and recv cleanly (with their summary): the handler only wakes a Waker, which is
// async-signal-safe (a write to an eventfd).
#pragma once

#include "waker.hpp"

namespace mcastexpert::tool {

// Wakes `stop` on SIGINT and SIGTERM from now on. `stop` must outlive the program's use of it.
void wake_on_signals(const Waker& stop);

}  // namespace mcastexpert::tool
