#include "pacer.hpp"

#include <poll.h>
#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <cerrno>

namespace mcastexpert {

namespace {
constexpr int64_t kNsPerSecond = 1000000000;
constexpr int64_t kPreciseWaitNs = 1000000;  // the last stretch of a wait, slept precisely
constexpr int64_t kMaxLatencyNs = 200000;    // a wake-up later than this was a preemption, not timer latency

// ns that `bytes` of payload take at `bits_per_second`.
int64_t transmit_ns(size_t bytes, uint64_t bits_per_second) {
  if (bits_per_second == 0) return 0;
  const long double ns = static_cast<long double>(bytes) * 8.0L * kNsPerSecond / bits_per_second;
  return static_cast<int64_t>(ns);
}
}  // namespace

PacingSchedule::PacingSchedule(const PacingSettings& settings) : settings_(settings) {
  if (settings_.burst_max == 0) settings_.burst_max = 1;
  if (settings_.quantum_ns <= 0) settings_.quantum_ns = kBurstQuantumNs;
}

void PacingSchedule::plan(const size_t* sizes, size_t count, int64_t duration_ns, int64_t now_ns) {
  due_.assign(count, now_ns);
  const bool spread = settings_.mode == PacingMode::Spread && duration_ns > 0;
  const uint64_t rate = settings_.mode == PacingMode::None ? 0 : settings_.max_rate;
  if (count == 0 || (!spread && rate == 0)) {
    busy_until_ns_ = now_ns;  // nothing to pace by: at once
    return;
  }
  const int64_t start = std::max(now_ns, busy_until_ns_);
  int64_t rate_next = start;  // when max_rate lets the next datagram go
  for (size_t i = 0; i < count; ++i) {
    int64_t t = rate_next;
    if (spread) t = std::max(t, start + static_cast<int64_t>(static_cast<long double>(duration_ns) * i / count));
    due_[i] = t;
    rate_next = t + transmit_ns(sizes[i], rate);
  }
  busy_until_ns_ = std::max(spread ? start + duration_ns : start, rate_next);
}

Burst PacingSchedule::burst_at(size_t first) const noexcept {
  Burst b{first, 1, due_[first]};
  while (first + b.count < due_.size() && b.count < settings_.burst_max &&
         due_[first + b.count] - b.due_ns < settings_.quantum_ns)
    ++b.count;
  return b;
}

void PacingSchedule::catch_up(size_t first, int64_t now_ns, int64_t give_up_ns) noexcept {
  if (first >= due_.size() || now_ns <= due_[first]) return;
  const int64_t base = due_[first];
  const int64_t planned = busy_until_ns_ - base;  // what the rest was to take
  double speed = kMaxCatchUp;
  if (now_ns - base > give_up_ns) {
    speed = 1;  // too far behind to win it back: go on from here at the planned pace, never in one burst
  } else if (settings_.max_rate > 0) {
    return;  // the late bursts leave as soon as they can; the schedule, and so the rate, holds
  } else if (busy_until_ns_ > now_ns) {
    speed = std::min(kMaxCatchUp, static_cast<double>(planned) / static_cast<double>(busy_until_ns_ - now_ns));
  }
  for (size_t i = first; i < due_.size(); ++i)
    due_[i] = now_ns + static_cast<int64_t>(static_cast<double>(due_[i] - base) / speed);
  busy_until_ns_ = std::max(now_ns + static_cast<int64_t>(static_cast<double>(planned) / speed), due_.back());
}

int64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerSecond + ts.tv_nsec;
}

bool PreciseWaiter::wait_until(int64_t due_ns, const Waker& stop) noexcept {
  if (stop.woken()) return false;
  const int64_t target = due_ns - latency_ns_;
  int64_t left = target - monotonic_ns();
  // Far off: wait where an unlock can end it, and leave the last millisecond to the precise sleep.
  while (left > 2 * kPreciseWaitNs) {
    pollfd p{stop.fd(), POLLIN, 0};
    const int ms = static_cast<int>(std::min<int64_t>((left - kPreciseWaitNs) / 1000000, 1000));
    if (poll(&p, 1, ms) > 0) return false;
    left = target - monotonic_ns();
  }
  if (left > 0) {
    const timespec ts{static_cast<time_t>(target / kNsPerSecond), static_cast<long>(target % kNsPerSecond)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
    // How late this wake-up was, learnt slowly (one eighth at a time) and bounded, so one preemption does not
    // make every later wait end far too early.
    const int64_t late = std::min<int64_t>(std::max<int64_t>(monotonic_ns() - target, 0), kMaxLatencyNs);
    latency_ns_ += (late - latency_ns_) / 8;
  }
  return !stop.woken();
}

void lower_timer_slack() noexcept {
  thread_local bool lowered = false;
  if (lowered) return;
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  lowered = true;
}

}  // namespace mcastexpert
