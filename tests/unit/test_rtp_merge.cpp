#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <tuple>
#include <vector>

#include "rtp_merge.hpp"

using namespace mcastexpert;

namespace {

constexpr int64_t kMs = 1000000;

RtpHeader rtp(uint16_t seq, uint32_t ts, uint32_t ssrc = 0x1234) {
  RtpHeader h;
  h.valid = true;
  h.sequence = seq;
  h.timestamp = ts;
  h.ssrc = ssrc;
  return h;
}

}  // namespace

TEST(RtpHeader, ReadsVersion2AndRefusesTheRest) {
  const uint8_t packet[12] = {0x80, 96, 0x12, 0x34, 0, 0, 0x01, 0x02, 0xde, 0xad, 0xbe, 0xef};
  const auto h = parse_rtp_header(packet, sizeof packet);
  ASSERT_TRUE(h.valid);
  EXPECT_EQ(h.sequence, 0x1234);
  EXPECT_EQ(h.timestamp, 0x0102u);
  EXPECT_EQ(h.ssrc, 0xdeadbeefu);
  EXPECT_FALSE(parse_rtp_header(packet, 11).valid);
  const uint8_t v1[12] = {0x40, 96};
  EXPECT_FALSE(parse_rtp_header(v1, sizeof v1).valid);
  const uint8_t rtcp_sr[12] = {0x80, 200};
  EXPECT_FALSE(parse_rtp_header(rtcp_sr, sizeof rtcp_sr).valid);
}

TEST(RtpMerger, TheFirstCopyGoesOnTheOthersAreDropped) {
  RtpMerger m(500 * kMs, 2);
  EXPECT_EQ(m.judge(rtp(1, 100), 0, 0), RtpMerger::Decision::Deliver);
  EXPECT_EQ(m.judge(rtp(1, 100), 1, 1 * kMs), RtpMerger::Decision::Duplicate);
  EXPECT_EQ(m.judge(rtp(2, 100), 1, 2 * kMs), RtpMerger::Decision::Deliver);
  EXPECT_EQ(m.judge(rtp(2, 100), 0, 450 * kMs), RtpMerger::Decision::Duplicate);  // the slow leg, 448 ms late
  EXPECT_EQ(m.leg(1).duplicates.load(), 1u);
  EXPECT_EQ(m.leg(0).duplicates.load(), 1u);
}

TEST(RtpMerger, AWrappedSequenceOrARestartIsNotACopy) {
  RtpMerger m(500 * kMs, 2);
  EXPECT_EQ(m.judge(rtp(7, 1000), 0, 0), RtpMerger::Decision::Deliver);
  // The same sequence number after a wrap (or a restarted sender): another timestamp.
  EXPECT_EQ(m.judge(rtp(7, 91000), 0, 100 * kMs), RtpMerger::Decision::Deliver);
  EXPECT_EQ(m.judge(rtp(7, 91000), 1, 101 * kMs), RtpMerger::Decision::Duplicate);
  // Another stream with the same numbers.
  EXPECT_EQ(m.judge(rtp(7, 1000, 0x9999), 1, 102 * kMs), RtpMerger::Decision::Deliver);
}

TEST(RtpMerger, APacketIsForgottenAfterTheWindowAndCountedAsThatLegsOwn) {
  RtpMerger m(100 * kMs, 2);
  m.judge(rtp(1, 10), 0, 0);  // only leg 0 carried it
  m.judge(rtp(2, 10), 0, 0);  // both carried it
  m.judge(rtp(2, 10), 1, 5 * kMs);
  m.judge(rtp(3, 10), 1, 6 * kMs);  // only leg 1
  // Past the window: a copy now is delivered again (it is not remembered), and the expired ones were counted.
  EXPECT_EQ(m.judge(rtp(1, 10), 1, 200 * kMs), RtpMerger::Decision::Deliver);
  EXPECT_EQ(m.leg(0).unique.load(), 1u);
  EXPECT_EQ(m.leg(1).unique.load(), 1u);
}

TEST(RtpMerger, AgreesWithASetOverManyPacketsAndWraps) {
  // Two legs, each losing a random tenth, the second 300 ms late, 20,000 packets at 10 kpps across a wrap: the
  // merge delivers exactly the union, once each.
  std::mt19937 random(7);
  std::bernoulli_distribution lost(0.1);
  struct Arrival {
    int64_t at;
    size_t leg;
    uint16_t seq;
    uint32_t ts;
  };
  std::vector<Arrival> arrivals;
  std::set<std::pair<uint16_t, uint32_t>> carried;
  for (int i = 0; i < 20000; ++i) {
    const auto seq = static_cast<uint16_t>(60000 + i);
    const auto ts = static_cast<uint32_t>(i * 9);
    for (size_t leg = 0; leg < 2; ++leg)
      if (!lost(random)) {
        arrivals.push_back({i * 100000LL + (leg == 1 ? 300 * kMs : 0), leg, seq, ts});
        carried.insert({seq, ts});
      }
  }
  std::stable_sort(arrivals.begin(), arrivals.end(), [](const Arrival& a, const Arrival& b) { return a.at < b.at; });
  RtpMerger m(500 * kMs, 2);
  std::set<std::pair<uint16_t, uint32_t>> delivered;
  size_t deliveries = 0;
  for (const auto& a : arrivals)
    if (m.judge(rtp(a.seq, a.ts), a.leg, a.at) == RtpMerger::Decision::Deliver) {
      ++deliveries;
      delivered.insert({a.seq, a.ts});
    }
  EXPECT_EQ(deliveries, delivered.size()) << "a packet was delivered twice";
  EXPECT_EQ(delivered, carried);
  EXPECT_EQ(m.leg(0).duplicates.load() + m.leg(1).duplicates.load(), arrivals.size() - deliveries);
}
