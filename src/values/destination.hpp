// Where a sender sends: a multicast group and a port. Built from a group list (the sink's `groups`) or from the
// group and port an application passes to the sink's signals, by the same rules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "address_list.hpp"

namespace mcastexpert {

struct Destination {
  IpAddress group;
  uint16_t port = 0;
  // The interfaces this destination leaves by (specifiers as typed after '@'); empty = the sender's own choice.
  std::vector<std::string> interfaces;

  // "239.1.2.3:5004", "[ff15::1]:5004", "239.1.2.3:5004@eth1".
  std::string to_string() const;
  // The same group and port (whatever the interfaces): what a signal without '@' names.
  bool same_target(const Destination& o) const { return group.same_address(o.group) && port == o.port; }
  friend bool operator==(const Destination& a, const Destination& b) {
    return a.same_target(b) && a.interfaces == b.interfaces;
  }
};

// The rules a destination's group follows: a port may be written with it, an interface may not (the sender names
// its interfaces apart, with iface).
inline constexpr GroupListRules kDestinationRules{true, true, false};

// A destination given as a group and a port apart (the sink's add/remove/get-stats signals): `group` is one
// multicast address as the group list takes it, without a port but with its own interfaces if any
// ("239.1.2.3@eth1"); `port` is 1 to 65535. Throws Error(InvalidSetting)
// saying what is wrong with which value.
Destination parse_destination(std::string_view group, long long port);

// The destinations of a parsed group list; entries without a port take `default_port`. Duplicates are dropped.
std::vector<Destination> destinations_of(const std::vector<GroupEntry>& groups, uint16_t default_port);

// Throws Error(InvalidSetting) unless `d` is of `family` ("... is IPv6 but this sender sends IPv4").
void check_destination_family(const Destination& d, Family family);

}  // namespace mcastexpert
