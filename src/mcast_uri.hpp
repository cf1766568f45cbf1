// mcast:// URIs: "mcast://239.1.2.3:5004?iface=eth1&sources=10.0.0.1", "mcast://[ff15::1]:5004?ttl=4".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcastexpert {

struct McastUri {
  std::string groups;                                      // the host part: one group, or several separated by commas
  std::optional<uint16_t> port;                            // the port part, if any
  std::vector<std::pair<std::string, std::string>> query;  // percent-decoded key=value pairs, in order

  // Parses; throws Error(InvalidSetting) naming what is wrong.
  static McastUri parse(std::string_view uri);
  // Builds the canonical text back: "mcast://239.1.2.3:5004?iface=eth1".
  std::string to_string() const;
};

}  // namespace mcastexpert
