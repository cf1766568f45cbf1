// The GROUP[:PORT] argument of route, doctor, send and recv: parsed by the core's one rule for what a group is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "address_list.hpp"

namespace mcastexpert::tool {

struct GroupArgument {
  IpAddress group;
  std::optional<uint16_t> port;
  std::string scope;  // an IPv6 "%eth0", as typed: the interface, when --iface does not name one
};

// Throws UsageError naming the argument and what is wrong with it.
GroupArgument parse_group_argument(const std::string& text);

}  // namespace mcastexpert::tool
