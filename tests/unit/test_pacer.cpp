#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>

#include "frame_timing.hpp"
#include "pacer.hpp"

using namespace mcastexpert;

namespace {

constexpr int64_t kMs = 1000000;

PacingSettings spread(size_t burst = 16) {
  PacingSettings s;
  s.mode = PacingMode::Spread;
  s.burst_max = burst;
  return s;
}

// Every datagram in exactly one burst, in order, none larger than `burst_max`.
void expect_covers(const std::vector<Burst>& bursts, size_t count, size_t burst_max) {
  size_t next = 0;
  for (const auto& b : bursts) {
    EXPECT_EQ(b.first, next);
    EXPECT_GE(b.count, 1u);
    EXPECT_LE(b.count, burst_max);
    next += b.count;
  }
  EXPECT_EQ(next, count);
}

// The bursts a sender on time would send: plan, then burst after burst.
std::vector<Burst> bursts_of(PacingSchedule& schedule, const std::vector<size_t>& sizes, int64_t duration,
                             int64_t now) {
  schedule.plan(sizes.data(), sizes.size(), duration, now);
  std::vector<Burst> out;
  for (size_t i = 0; i < schedule.size(); i += out.back().count) out.push_back(schedule.burst_at(i));
  return out;
}

}  // namespace

TEST(PacingSchedule, SpreadsAListEvenlyOverItsDuration) {
  PacingSchedule schedule(spread());
  const std::vector<size_t> sizes(4000, 1316);
  const auto bursts = bursts_of(schedule, sizes, 20 * kMs, 1000 * kMs);
  expect_covers(bursts, 4000, 16);
  EXPECT_EQ(bursts.front().due_ns, 1000 * kMs);
  EXPECT_GE(bursts.back().due_ns, 1000 * kMs + 19 * kMs);  // the last leaves near the end, not with the first
  EXPECT_LT(bursts.back().due_ns, 1020 * kMs);
  // 200 datagrams a millisecond: no millisecond has more than its share plus one burst.
  for (int64_t t = 1000 * kMs; t < 1020 * kMs; t += kMs) {
    size_t in_window = 0;
    for (const auto& b : bursts)
      if (b.due_ns >= t && b.due_ns < t + kMs) in_window += b.count;
    EXPECT_LE(in_window, 200u + 16u) << "window at " << t;
  }
  EXPECT_EQ(schedule.busy_until_ns(), 1020 * kMs);
}

TEST(PacingSchedule, ASlowStreamGoesInBurstsOfWhatOneQuantumHolds) {
  PacingSchedule schedule(spread());
  const std::vector<size_t> sizes(500, 1316);  // 40 µs apart: a 50 µs quantum holds two
  const auto bursts = bursts_of(schedule, sizes, 20 * kMs, 0);
  expect_covers(bursts, 500, 2);
  EXPECT_EQ(bursts.size(), 250u);
}

TEST(PacingSchedule, BurstsNeverExceedTheirCap) {
  PacingSchedule schedule(spread(4));
  const std::vector<size_t> sizes(4000, 1316);
  expect_covers(bursts_of(schedule, sizes, 1 * kMs, 0), 4000, 4);
  PacingSettings none;
  none.burst_max = 7;
  PacingSchedule at_once(none);
  const auto bursts = bursts_of(at_once, sizes, 20 * kMs, 5);
  expect_covers(bursts, 4000, 7);
  for (const auto& b : bursts) EXPECT_EQ(b.due_ns, 5);  // unpaced: all due now
}

TEST(PacingSchedule, ABatchWaitsForThePreviousOneButALateOneDoesNotCatchUp) {
  PacingSchedule schedule(spread());
  const std::vector<size_t> sizes(100, 1316);
  bursts_of(schedule, sizes, 20 * kMs, 0);
  // Early (sync=false upstream): starts where the previous one ends.
  EXPECT_EQ(bursts_of(schedule, sizes, 20 * kMs, 5 * kMs).front().due_ns, 20 * kMs);
  // Late: starts now, spread over its own duration, not squeezed.
  const auto late = bursts_of(schedule, sizes, 20 * kMs, 100 * kMs);
  EXPECT_EQ(late.front().due_ns, 100 * kMs);
  EXPECT_GE(late.back().due_ns, 119 * kMs);
}

TEST(PacingSchedule, RateHoldsTheCeilingAcrossBatches) {
  PacingSettings s;
  s.mode = PacingMode::Rate;
  s.max_rate = 10000000;  // 10 Mbit/s: a 1250-byte datagram every ms
  PacingSchedule schedule(s);
  const std::vector<size_t> sizes(10, 1250);
  const auto first = bursts_of(schedule, sizes, 0, 0);
  expect_covers(first, 10, 16);
  EXPECT_EQ(first.size(), 10u);
  EXPECT_EQ(first[9].due_ns, 9 * kMs);
  // The next batch, arriving at once, continues the schedule.
  EXPECT_EQ(bursts_of(schedule, sizes, 0, 1 * kMs).front().due_ns, 10 * kMs);
  // After a pause there is no credit to burst with: it starts now.
  EXPECT_EQ(bursts_of(schedule, sizes, 0, 500 * kMs)[1].due_ns, 501 * kMs);
}

TEST(PacingSchedule, MaxRateIsACeilingForSpread) {
  PacingSettings s = spread();
  s.max_rate = 10000000;
  PacingSchedule schedule(s);
  const std::vector<size_t> sizes(10, 1250);
  // 10 datagrams over 2 ms would be 50 Mbit/s: the ceiling stretches them to 10 ms.
  const auto bursts = bursts_of(schedule, sizes, 2 * kMs, 0);
  EXPECT_EQ(bursts.back().due_ns, 9 * kMs);
  EXPECT_EQ(schedule.busy_until_ns(), 10 * kMs);
}

TEST(PacingSchedule, WithoutADurationSpreadSendsAtOnce) {
  PacingSchedule schedule(spread());
  const std::vector<size_t> sizes(40, 1316);
  const auto bursts = bursts_of(schedule, sizes, 0, 7);
  expect_covers(bursts, 40, 16);
  for (const auto& b : bursts) EXPECT_EQ(b.due_ns, 7);
}

TEST(PacingSchedule, ALateSenderCatchesUpAtMostAFifthFaster) {
  PacingSchedule schedule(spread());
  const std::vector<size_t> sizes(400, 1316);  // 20 a millisecond over 20 ms
  schedule.plan(sizes.data(), sizes.size(), 20 * kMs, 0);
  // Preempted for 5 ms at datagram 100 (due at 5 ms): the other 300 take 15 ms / 1.2 = 12.5 ms from 10 ms.
  schedule.catch_up(100, 10 * kMs, 20 * kMs);
  EXPECT_EQ(schedule.due_ns(100), 10 * kMs);
  EXPECT_NEAR(schedule.due_ns(399), 10 * kMs + (19.95 - 5) * kMs / 1.2, 1000);
  EXPECT_NEAR(schedule.busy_until_ns(), 22.5 * kMs, 1000);
  for (int64_t t = 10 * kMs; t < 23 * kMs; t += kMs) {
    size_t in_window = 0;
    for (size_t i = 100; i < 400; ++i) in_window += schedule.due_ns(i) >= t && schedule.due_ns(i) < t + kMs;
    EXPECT_LE(in_window, 25u) << "at " << t;
  }
  // A late start with time to spare: just enough faster to end on time.
  schedule.plan(sizes.data(), sizes.size(), 20 * kMs, 100 * kMs);
  schedule.catch_up(0, 101 * kMs, 20 * kMs);
  EXPECT_EQ(schedule.busy_until_ns(), 120 * kMs);
  // Hopelessly behind (50 ms at datagram 10): the rest goes on from now at the planned pace, not in one burst.
  schedule.plan(sizes.data(), sizes.size(), 20 * kMs, 200 * kMs);
  schedule.catch_up(10, 250 * kMs, 20 * kMs);
  EXPECT_EQ(schedule.due_ns(10), 250 * kMs);
  EXPECT_EQ(schedule.due_ns(399), 250 * kMs + (schedule.due_ns(399) - schedule.due_ns(10)));
  EXPECT_NEAR(schedule.due_ns(399) - schedule.due_ns(10), 389 * 50000, 1000);
}

TEST(PacingSchedule, UnderARateCeilingALateSenderKeepsTheSchedule) {
  PacingSettings s;
  s.mode = PacingMode::Rate;
  s.max_rate = 10000000;  // a 1250-byte datagram every ms
  PacingSchedule schedule(s);
  const std::vector<size_t> sizes(10, 1250);
  schedule.plan(sizes.data(), sizes.size(), 0, 0);
  // Late by 4 ms at datagram 3: the schedule stands (the late ones go as soon as they can, in bursts of at most
  // burst_max), so the rate over the whole holds.
  schedule.catch_up(3, 7 * kMs, 20 * kMs);
  for (size_t i = 3; i < 10; ++i) EXPECT_EQ(schedule.due_ns(i), static_cast<int64_t>(i) * kMs);
  EXPECT_EQ(schedule.busy_until_ns(), 10 * kMs);
  // Hopelessly late: the rest goes on from now at the rate.
  schedule.catch_up(3, 40 * kMs, 20 * kMs);
  EXPECT_EQ(schedule.due_ns(3), 40 * kMs);
  EXPECT_EQ(schedule.due_ns(9), 46 * kMs);
}

TEST(PacingWait, WakesOnTimeAndStopsAtOnce) {
  Waker stop;
  ASSERT_TRUE(stop.valid());
  lower_timer_slack();
  PreciseWaiter waiter;
  const int64_t due = monotonic_ns() + 3 * kMs;
  EXPECT_TRUE(waiter.wait_until(due, stop));
  EXPECT_GE(monotonic_ns(), due - 200000);  // early by at most the latency it learnt

  // A wait of a minute, woken from another thread, returns false long before.
  const int64_t start = monotonic_ns();
  std::thread waker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop.wake();
  });
  EXPECT_FALSE(waiter.wait_until(start + 60000 * kMs, stop));
  waker.join();
  EXPECT_LT(monotonic_ns() - start, 1000 * kMs);
  EXPECT_FALSE(waiter.wait_until(monotonic_ns() + kMs, stop));  // still woken until cleared
  stop.clear();
  EXPECT_TRUE(waiter.wait_until(monotonic_ns() + kMs, stop));
}

TEST(FrameTiming, AFrameInOneListTakesTheGapBetweenFrames) {
  FrameTiming t;
  EXPECT_EQ(t.spread_of(0, -1, 500, 0), 0);  // the first frame: nothing to go by yet
  EXPECT_EQ(t.spread_of(20 * kMs, -1, 500, 0), 20 * kMs);
  EXPECT_EQ(t.spread_of(40 * kMs, -1, 900, 0), 20 * kMs);  // a larger frame (an I-frame) also takes a frame's time
  EXPECT_EQ(t.spread_of(60 * kMs, -1, 100, 0), 20 * kMs);
}

TEST(FrameTiming, ADurationOrTheFramerateComesFirst) {
  FrameTiming t;
  EXPECT_EQ(t.spread_of(0, 16 * kMs, 10, 0), 16 * kMs);
  FrameTiming caps;
  EXPECT_EQ(caps.spread_of(-1, -1, 10, 40 * kMs), 40 * kMs);  // no timestamps at all: the framerate
  EXPECT_EQ(caps.spread_of(-1, -1, 10, 0), 0);
  FrameTiming paused;
  paused.spread_of(0, -1, 10, 0);
  EXPECT_EQ(paused.spread_of(5000 * kMs, -1, 10, 0), 0);  // a five-second gap is a pause, not a frame
}

TEST(FrameTiming, AFrameInChunksIsSpreadChunkByChunkOverTheFrame) {
  // rtpvrawpay's default: each frame in 10 lists of 40 datagrams, all with the frame's timestamp. The very first
  // frame has nothing to go by; from the second on, each chunk gets its tenth of the frame's time.
  FrameTiming t;
  for (int chunk = 0; chunk < 10; ++chunk) EXPECT_EQ(t.spread_of(0, -1, 40, 0), 0);
  for (const int64_t pts : {20 * kMs, 40 * kMs}) {
    int64_t frame = 0;
    for (int chunk = 0; chunk < 10; ++chunk) {
      const int64_t d = t.spread_of(pts, -1, 40, 0);
      EXPECT_EQ(d, 2 * kMs) << "chunk " << chunk;
      frame += d;
    }
    EXPECT_EQ(frame, 20 * kMs);
  }
  // A frame with more chunks than the one before runs over by what it could not know, then the next fits again.
  int64_t larger = 0;
  for (int chunk = 0; chunk < 12; ++chunk) larger += t.spread_of(60 * kMs, -1, 40, 0);
  EXPECT_GT(larger, 20 * kMs);
  int64_t next = 0;
  for (int chunk = 0; chunk < 12; ++chunk) next += t.spread_of(80 * kMs, -1, 40, 0);
  EXPECT_NEAR(next, 20 * kMs, 1000);  // twelve shares, each rounded down
}
