#include "rtp_merge.hpp"

#include <algorithm>
#include <deque>

namespace mcastexpert {

namespace {

void add(std::atomic<uint64_t>& counter, uint64_t n) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// (timestamp, sequence) as one key; + 1 so that 0 marks an empty slot.
uint64_t key_of(const RtpHeader& rtp) {
  return ((static_cast<uint64_t>(rtp.timestamp) << 16) | rtp.sequence) + 1;
}

}  // namespace

RtpHeader parse_rtp_header(const uint8_t* data, size_t length) {
  RtpHeader h;
  if (length < 12 || (data[0] >> 6) != 2) return h;
  const uint8_t type = data[1] & 0x7f;
  if (type >= 72 && type <= 76) return h;  // RTCP (SR, RR, SDES, BYE, APP) sharing the port
  h.sequence = static_cast<uint16_t>(data[2] << 8 | data[3]);
  h.timestamp = static_cast<uint32_t>(data[4]) << 24 | static_cast<uint32_t>(data[5]) << 16 |
                static_cast<uint32_t>(data[6]) << 8 | data[7];
  h.ssrc = static_cast<uint32_t>(data[8]) << 24 | static_cast<uint32_t>(data[9]) << 16 |
           static_cast<uint32_t>(data[10]) << 8 | data[11];
  h.valid = true;
  return h;
}

// One RTP stream's remembered packets: an open-addressing hash set (linear probing, deleted by backward shift, so
// no tombstones) of the packets delivered within the window, and the same keys in arrival order, to forget them
// when they leave the window. A packet costs one probe and, amortised, one deletion: no allocation once the table
// has grown to what the window holds.
struct RtpMerger::Stream {
  struct Slot {
    uint64_t key = 0;
    uint32_t leg = 0;
    bool copied = false;  // a copy came by another leg
  };
  struct Remembered {
    uint64_t key;
    int64_t delivered_ns;
  };

  uint32_t ssrc = 0;
  int64_t last_seen_ns = 0;
  std::vector<Slot> slots = std::vector<Slot>(1024);
  size_t size = 0;
  std::deque<Remembered> order;

  size_t mask() const { return slots.size() - 1; }
  static size_t hash(uint64_t key) { return static_cast<size_t>(key * 0x9e3779b97f4a7c15ULL >> 20); }

  Slot* find(uint64_t key) {
    for (size_t i = hash(key) & mask();; i = (i + 1) & mask()) {
      if (slots[i].key == key) return &slots[i];
      if (slots[i].key == 0) return nullptr;
    }
  }

  void insert(uint64_t key, uint32_t leg) {
    if ((size + 1) * 2 > slots.size()) grow();
    size_t i = hash(key) & mask();
    while (slots[i].key != 0) i = (i + 1) & mask();
    slots[i] = {key, leg, false};
    ++size;
  }

  // Removes `key`, returning its slot's content.
  Slot erase(uint64_t key) {
    size_t i = hash(key) & mask();
    while (slots[i].key != key) {
      if (slots[i].key == 0) return {};
      i = (i + 1) & mask();
    }
    const Slot gone = slots[i];
    // Backward shift: pull later entries of the probe run into the hole where that keeps them findable.
    size_t hole = i;
    for (size_t j = (i + 1) & mask(); slots[j].key != 0; j = (j + 1) & mask()) {
      const size_t home = hash(slots[j].key) & mask();
      const bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        slots[hole] = slots[j];
        hole = j;
      }
    }
    slots[hole] = {};
    --size;
    return gone;
  }

  void grow() {
    std::vector<Slot> old(slots.size() * 2);
    old.swap(slots);
    size = 0;
    for (const auto& s : old)
      if (s.key != 0) {
        size_t i = hash(s.key) & mask();
        while (slots[i].key != 0) i = (i + 1) & mask();
        slots[i] = s;
        ++size;
      }
  }
};

RtpMerger::RtpMerger(uint64_t window_ns, size_t legs)
    : window_ns_(static_cast<int64_t>(window_ns)),
      leg_count_(legs),
      legs_(std::make_unique<LegCounters[]>(std::max<size_t>(legs, 1))) {}

RtpMerger::~RtpMerger() = default;

RtpMerger::Stream& RtpMerger::stream_for(uint32_t ssrc, int64_t now_ns) {
  if (last_ != nullptr && last_->ssrc == ssrc) return *last_;
  for (auto& s : streams_)
    if (s->ssrc == ssrc) return *(last_ = s.get());
  // A new stream: a stream silent for longer than the window has nothing left to match, so its place is reused.
  for (auto& s : streams_)
    if (now_ns - s->last_seen_ns > window_ns_) {
      expire(*s, now_ns);
      s->ssrc = ssrc;
      return *(last_ = s.get());
    }
  streams_.push_back(std::make_unique<Stream>());
  streams_.back()->ssrc = ssrc;
  return *(last_ = streams_.back().get());
}

void RtpMerger::expire(Stream& stream, int64_t now_ns) {
  while (!stream.order.empty() && now_ns - stream.order.front().delivered_ns > window_ns_) {
    const Stream::Slot gone = stream.erase(stream.order.front().key);
    if (gone.key != 0 && !gone.copied && gone.leg < leg_count_) add(legs_[gone.leg].unique, 1);
    stream.order.pop_front();
  }
}

RtpMerger::Decision RtpMerger::judge(const RtpHeader& rtp, size_t leg, int64_t now_ns) {
  Stream& stream = stream_for(rtp.ssrc, now_ns);
  stream.last_seen_ns = now_ns;
  expire(stream, now_ns);
  const uint64_t key = key_of(rtp);
  if (Stream::Slot* seen = stream.find(key)) {
    if (seen->leg != leg) seen->copied = true;
    if (leg < leg_count_) add(legs_[leg].duplicates, 1);
    return Decision::Duplicate;
  }
  stream.insert(key, static_cast<uint32_t>(leg));
  stream.order.push_back({key, now_ns});
  return Decision::Deliver;
}

}  // namespace mcastexpert
