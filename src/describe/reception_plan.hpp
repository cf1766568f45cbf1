// What a receiver is set to from a stream description, said in the source's own property values (groups, port,
// sources, block-sources, caps, redundancy), so that the element, the tool's launch line and an error comparing
// them with what the user set all speak one language.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sdp_reading.hpp"

namespace mcastexpert {

struct ReceptionPlan {
  std::string groups;         // as the groups property takes them: "239.1.1.1", or "G:P@eth1,G2:P2@eth2" for legs
  uint16_t port = 0;          // the first leg's
  std::string iface;          // what is left for the iface property: "" when each leg is pinned in groups
  std::string sources;        // every leg's incl senders
  std::string block_sources;  // every leg's excl senders
  std::string caps;
  bool redundant = false;  // several legs: merge them (redundancy=st2022-7)
};

// The plan for `d` on the interfaces `iface` (the user's iface property, as typed): with a DUP group and one
// interface per leg, each leg is pinned to its own, in leg order; otherwise every leg is joined on all of them.
ReceptionPlan plan_reception(const StreamDescription& d, const std::string& iface);

}  // namespace mcastexpert
