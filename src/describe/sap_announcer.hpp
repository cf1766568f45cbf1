// Announcing an SDP by SAP (RFC 2974): the packet sent to each SAP group by each interface named, with that
// interface's own address as the origin (so a receiver files it under the network it came from), and the deletion
// when it ends. The sockets are the sink's kind (MulticastSender): pinned, bound to the interface's address, with
// the stream's TTL.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "interface_table.hpp"
#include "ip_address.hpp"
#include "sender.hpp"

namespace mcastexpert {

struct SapAnnouncerSettings {
  std::vector<IpAddress> groups;  // the SAP groups, one family
  std::string iface;              // interfaces to announce by (a list); empty: where the routing table sends the group
  int ttl = 1;
  bool loop = true;  // listeners on this host hear it too
  DebugLog log;
};

// The SAP group of an IPv6 stream's scope: ff0X::2:7ffe (RFC 2974), X the group's scope (2 link, 5 site, 8 org).
IpAddress sap_group_for(const IpAddress& stream_group);

class SapAnnouncer {
 public:
  // Opens a socket per interface. Throws Error naming what is wrong (no route, no such interface...).
  SapAnnouncer(const SapAnnouncerSettings& settings, const InterfaceTable& table);

  // Sends the announcement of `sdp` (or its deletion) now, by every interface. Returns how many packets left.
  size_t announce(const std::string& sdp, bool deletion = false);

  // The interfaces announced by, with the address each announces from.
  std::vector<Egress> egresses() const;

 private:
  std::vector<std::unique_ptr<MulticastSender>> senders_;  // one per interface: each has its own origin
};

}  // namespace mcastexpert
