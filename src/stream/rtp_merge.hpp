// SMPTE ST 2022-7 seamless protection switching, receive side: the same RTP packets arrive by several legs
// (networks); the first copy of each goes on at once, later copies are dropped. No buffering, no added latency.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace mcastexpert {

// The fields of an RTP header the merge needs; nullopt-like `valid` false for what is not RTP.
struct RtpHeader {
  bool valid = false;
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
};

// Reads the fixed RTP header (RFC 3550) from the first bytes of a datagram: version 2, at least 12 bytes, and not
// an RTCP packet (payload types 72-76 with the marker bit: RTCP multiplexed on the port, RFC 5761).
RtpHeader parse_rtp_header(const uint8_t* data, size_t length);

class RtpMerger {
 public:
  enum class Decision { Deliver, Duplicate };

  // `window_ns`: how long a delivered packet is remembered, so a later copy is known as one; it must cover the
  // largest difference in delay between the legs. `legs`: how many legs feed the merge (for the counters).
  RtpMerger(uint64_t window_ns, size_t legs);
  ~RtpMerger();
  RtpMerger(const RtpMerger&) = delete;
  RtpMerger& operator=(const RtpMerger&) = delete;

  // Judges one RTP packet that arrived by `leg` at `now_ns` (a monotonic clock). A packet is the same as another
  // when its SSRC, sequence number and RTP timestamp are: the timestamp tells a sequence number that wrapped round,
  // or a sender that restarted, from a copy. Called by one thread.
  Decision judge(const RtpHeader& rtp, size_t leg, int64_t now_ns);

  // Per leg, readable from any thread.
  struct LegCounters {
    std::atomic<uint64_t> duplicates{0};  // copies dropped: another leg had delivered it
    std::atomic<uint64_t> unique{0};      // delivered by this leg, and no copy came by another within the window
  };
  const LegCounters& leg(size_t index) const { return legs_[index]; }
  size_t leg_count() const { return leg_count_; }

 private:
  struct Stream;
  Stream& stream_for(uint32_t ssrc, int64_t now_ns);
  void expire(Stream& stream, int64_t now_ns);

  const int64_t window_ns_;
  const size_t leg_count_;
  std::unique_ptr<LegCounters[]> legs_;
  std::vector<std::unique_ptr<Stream>> streams_;
  Stream* last_ = nullptr;  // the stream of the last packet: most packets belong to it
};

}  // namespace mcastexpert
