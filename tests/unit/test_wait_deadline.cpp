#include <gtest/gtest.h>

#include <climits>
#include <cstdint>

#include "wait_deadline.hpp"

using namespace mcastexpert;

TEST(WaitDeadline, RoundsUpSoAWaitNeverEndsEarly) {
  EXPECT_EQ(poll_timeout_ms(0), 0);
  EXPECT_EQ(poll_timeout_ms(1), 1);
  EXPECT_EQ(poll_timeout_ms(1000000), 1);
  EXPECT_EQ(poll_timeout_ms(1000001), 2);
  EXPECT_EQ(poll_timeout_ms(200000000), 200);
}

TEST(WaitDeadline, LongWaitsAreCappedNeverWrapped) {
  // 2^32 ms + 50 ms: a cast to int would wait 50 ms; the top of a uint64 would go negative.
  EXPECT_EQ(poll_timeout_ms((uint64_t{1} << 32) * 1000000 + 50000000), INT_MAX);
  EXPECT_EQ(poll_timeout_ms(UINT64_MAX), INT_MAX);
  EXPECT_EQ(poll_timeout_ms(uint64_t{INT_MAX} * 1000000), INT_MAX);
}

TEST(WaitDeadline, RemainingIsNeverNegative) {
  EXPECT_EQ(remaining_ns(100, 30), 70u);
  EXPECT_EQ(remaining_ns(100, 100), 0u);
  EXPECT_EQ(remaining_ns(100, 5000), 0u);
  EXPECT_EQ(remaining_ns(UINT64_MAX, 0), UINT64_MAX);
}
