// Pacing: when each datagram of a batch may leave, and a precise wait until then. The sink hands a batch (a buffer
// or a buffer list) to the schedule, which cuts it into bursts, each with the time its first datagram is due;
// the sink waits for each burst and sends it with the batched calls it always uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "waker.hpp"

namespace mcastexpert {

enum class PacingMode {
  None,    // every batch at once, as the kernel takes it
  Spread,  // a batch's datagrams evenly over its duration (and never faster than max_rate, when set)
  Rate,    // never faster than max_rate
};

struct PacingSettings {
  PacingMode mode = PacingMode::None;
  uint64_t max_rate = 0;   // bits of UDP payload per second; 0 = no ceiling
  size_t burst_max = 16;   // datagrams sent back to back at most
  int64_t quantum_ns = 0;  // datagrams due within this long of a burst's first go with it (0 = kBurstQuantumNs)
};

// How long one burst may gather datagrams that are due: shorter than the 100 µs a shallow switch buffer drains in,
// long enough that the waits (a few µs of CPU each) stay a small share of the sending core.
constexpr int64_t kBurstQuantumNs = 50000;

struct Burst {
  size_t first = 0;    // index of its first datagram in the batch
  size_t count = 0;    // datagrams, at most burst_max
  int64_t due_ns = 0;  // CLOCK_MONOTONIC time its first datagram is due
};

// How much faster than planned a late sender may go to catch up: a fifth, so that no window of the stream carries
// much more than its share after a hiccup (a preemption, a late wake-up); a millisecond lost takes five to win back.
constexpr double kMaxCatchUp = 1.2;

class PacingSchedule {
 public:
  explicit PacingSchedule(const PacingSettings& settings);

  // Plans a batch of `count` datagrams of the given payload sizes, arriving at `now_ns`, to be spread over
  // `duration_ns` (Spread; 0 = unknown: sent as the rate allows, else at once). Datagrams never leave before
  // `now_ns`, nor before the previous batch's schedule is over (its start plus its duration, or its last datagram
  // plus the time max_rate gives it), so consecutive batches do not overlap; a batch that arrives late starts at
  // once and does not catch up by bunching.
  void plan(const size_t* sizes, size_t count, int64_t duration_ns, int64_t now_ns);

  // The burst that starts at datagram `first` of the planned batch: it and the datagrams due within the quantum
  // after it, at most burst_max.
  Burst burst_at(size_t first) const noexcept;

  // The sender reached datagram `first` late, at `now_ns`: the rest of the batch is planned again from now. It is
  // spread at most kMaxCatchUp times faster than planned, which may carry it past its planned end. Under a rate
  // ceiling nothing changes: the late bursts go as soon as they can, so the rate holds over any few milliseconds
  // and no burst is larger than burst_max. More than `give_up_ns` behind, there is no catching up: the rest goes on
  // from now at the planned pace (never in one burst).
  void catch_up(size_t first, int64_t now_ns, int64_t give_up_ns) noexcept;

  // Forgets the previous batch (after a flush: what it would have taken is not waited for).
  void reset() noexcept { busy_until_ns_ = 0; }

  // When the planned batch's schedule is over.
  int64_t busy_until_ns() const noexcept { return busy_until_ns_; }
  size_t size() const noexcept { return due_.size(); }
  int64_t due_ns(size_t i) const noexcept { return due_[i]; }
  const PacingSettings& settings() const noexcept { return settings_; }

 private:
  PacingSettings settings_;
  int64_t busy_until_ns_ = 0;
  std::vector<int64_t> due_;
};

// CLOCK_MONOTONIC now, in ns.
int64_t monotonic_ns() noexcept;

// Waits until a time on CLOCK_MONOTONIC: long waits in poll() on the stop waker, the last millisecond in an
// absolute clock_nanosleep. A sleeping thread wakes some tens of microseconds after the time it asked for (timer
// and scheduling latency, high on virtual machines), so the waiter learns that latency (a moving average) and asks
// for that much earlier: wake-ups land on time on average, not consistently late.
class PreciseWaiter {
 public:
  // Returns false, early, when `stop` is woken (checked before and after the precise part, so an unlock ends a
  // wait within a millisecond).
  bool wait_until(int64_t due_ns, const Waker& stop) noexcept;
  int64_t wake_latency_ns() const noexcept { return latency_ns_; }

 private:
  int64_t latency_ns_ = 0;
};

// Lowers the calling thread's timer slack (by default the kernel may wake it up to 50 µs late, which would turn a
// paced stream back into bursts). Once per thread.
void lower_timer_slack() noexcept;

}  // namespace mcastexpert
