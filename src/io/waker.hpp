// A way to wake a thread blocked in poll() from any other thread, at once: an eventfd that stays readable from
// wake() until clear(). Kept apart from the sockets it interrupts, so that waking never waits for the thread that
// uses them (GStreamer's unlock() must return at once).
#pragma once

#include <atomic>

#include "unique_fd.hpp"

namespace mcastexpert {

class Waker {
 public:
  // Never throws (it is made where no exception may pass): check valid() before relying on it.
  Waker() noexcept;
  bool valid() const noexcept { return fd_.valid(); }

  // From any thread: a current or later wait on fd() returns until clear().
  void wake() const noexcept;
  void clear() const noexcept;
  // For poll(): readable while woken.
  int fd() const noexcept { return fd_.get(); }
  // Whether wake() came after the last clear(), without a system call (for loops that check between short sleeps).
  bool woken() const noexcept { return woken_.load(std::memory_order_acquire); }

 private:
  UniqueFd fd_;
  mutable std::atomic<bool> woken_{false};
};

}  // namespace mcastexpert
