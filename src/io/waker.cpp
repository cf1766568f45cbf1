#include "waker.hpp"

#include <sys/eventfd.h>

#include <cstdint>

namespace mcastexpert {

Waker::Waker() noexcept : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

void Waker::wake() const noexcept {
  woken_.store(true, std::memory_order_release);
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = write(fd_.get(), &one, sizeof one);
}

void Waker::clear() const noexcept {
  woken_.store(false, std::memory_order_release);
  uint64_t value = 0;
  [[maybe_unused]] const ssize_t n = read(fd_.get(), &value, sizeof value);
}

}  // namespace mcastexpert
