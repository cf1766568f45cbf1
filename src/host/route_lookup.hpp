// Asking the kernel's routing table which interface a destination leaves by (what `ip route get` prints).
#pragma once

#include <optional>

#include "ip_address.hpp"

namespace mcastexpert {

struct RouteChoice {
  unsigned interface_index = 0;
  std::optional<IpAddress> preferred_source;  // RTA_PREFSRC, when the route has one
  // The prefix length of the route that matched: 0 for the default route, more for a route that names the group's
  // range (a multicast route such as 239.0.0.0/8 or 224.0.0.0/4).
  unsigned matched_prefix_length = 0;
};

// The route the kernel picks for `destination` in the calling thread's network namespace: for a multicast group,
// the default route's interface unless a multicast route says otherwise. nullopt when there is no route
// (ENETUNREACH); throws Error(Resource) when the kernel cannot be asked.
std::optional<RouteChoice> lookup_route(const IpAddress& destination);

}  // namespace mcastexpert
