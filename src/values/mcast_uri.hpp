// mcast:// URIs: "mcast://239.1.2.3:5004?iface=eth1&sources=10.0.0.1", "mcast://[ff15::1]:5004?ttl=4"; and the
// source's sap:// URIs: "sap://239.255.255.255?session=Studio%20A".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcastexpert {

struct McastUri {
  // "mcast", or "sap" for the source's sap://[GROUP[:PORT]][?session=NAME&...] (an announced stream; the authority,
  // which may be empty there, is the SAP groups).
  std::string scheme = "mcast";
  // The authority: one group (with an optional port, which goes to `port`), or a group list written as the groups
  // property takes it, entries separated by commas (each with its own port where the element allows one).
  std::string groups;
  std::optional<uint16_t> port;                            // the single group's port part, if any
  std::vector<std::pair<std::string, std::string>> query;  // percent-decoded key=value pairs, in order

  // Parses; throws Error(InvalidSetting) naming what is wrong.
  static McastUri parse(std::string_view uri);
  // Builds the canonical text back: "mcast://239.1.2.3:5004?iface=eth1"; a list is written as it is, its port (which
  // a list cannot carry in the authority) left to the caller's query.
  std::string to_string() const;
};

}  // namespace mcastexpert
