// The numbered datagrams `mcastexpert send` emits and `mcastexpert recv` counts: plain text, so a packet capture
// reads them too ("MCASTEXPERT-PROBE 1 seq=7 sent=1764685000123456789 host=studio-a"), padded to the size asked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace mcastexpert::tool {

struct Probe {
  uint64_t seq = 0;
  int64_t sent_realtime_ns = 0;  // the sender's CLOCK_REALTIME when it sent the probe
  std::string host;              // the sender's host name
};

inline constexpr size_t kMaxProbeHost = 64;

// The probe as sent: at least `size` bytes (padding with '.'), never less than the text needs.
std::string encode_probe(const Probe& probe, size_t size);
// nullopt for a datagram that is not a probe.
std::optional<Probe> decode_probe(std::string_view datagram);

// What the probes of every sender add up to. A sender is told apart by its address and port (a restarted `send`
// starts again at 1 from a new port).
class ProbeTally {
 public:
  enum class Arrival { New, Duplicate, Reordered };
  Arrival record(const std::string& sender, uint64_t seq);

  uint64_t received() const;    // distinct probes
  uint64_t lost() const;        // missing numbers between each sender's first and highest one seen
  uint64_t duplicated() const;  // probes seen again
  uint64_t reordered() const;   // probes that came after a higher number from the same sender
  size_t senders() const { return senders_.size(); }

 private:
  struct Sender {
    uint64_t first = 0, highest = 0, distinct = 0, duplicated = 0, reordered = 0;
    std::set<uint64_t> seen;  // numbers seen; bounded by what a field test sends
  };
  uint64_t sum(uint64_t (*of)(const Sender&)) const;
  std::map<std::string, Sender> senders_;
};

}  // namespace mcastexpert::tool
