// Why a received datagram was delivered or not: one list of reasons, with the names the element's stats and the
// debug log give them, so that a counter, a stats field and a log line can never disagree.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace mcastexpert {

enum class Verdict : uint8_t {
  Accepted,
  WrongGroup,        // a multicast group this receiver did not join (another socket's, on the same port)
  WrongInterface,    // the right group, on an interface it was not joined on
  Unicast,           // not multicast at all
  DisallowedSource,  // not in `sources`, or in `block-sources`
  OwnTraffic,        // sent by this host, and loop is off
  Empty,             // a datagram of zero bytes: nothing to deliver (keep-alives, probes, floods)
};
inline constexpr size_t kVerdictCount = 7;

struct RejectionName {
  Verdict verdict;
  const char* stats_field;  // "rejected-wrong-group"
  const char* reason;       // "not a joined group", for the debug log
};

// Every rejection (all verdicts but Accepted), in the order stats lists them.
inline constexpr std::array<RejectionName, kVerdictCount - 1> kRejections{{
    {Verdict::WrongGroup, "rejected-wrong-group", "not a joined group"},
    {Verdict::WrongInterface, "rejected-wrong-interface", "joined group, wrong interface"},
    {Verdict::Unicast, "rejected-unicast", "unicast"},
    {Verdict::DisallowedSource, "rejected-source", "source not allowed"},
    {Verdict::OwnTraffic, "rejected-own", "sent by this host (loop=false)"},
    {Verdict::Empty, "rejected-empty", "zero bytes"},
}};

inline const char* rejection_reason(Verdict v) {
  for (const auto& r : kRejections)
    if (r.verdict == v) return r.reason;
  return "accepted";
}

}  // namespace mcastexpert
