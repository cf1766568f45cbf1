#include "destination.hpp"

#include <algorithm>

#include "error.hpp"

namespace mcastexpert {

std::string Destination::to_string() const {
  std::string text = (group.is_v6() ? "[" + group.to_string() + "]" : group.to_string()) + ":" + std::to_string(port);
  for (size_t i = 0; i < interfaces.size(); ++i) text += (i == 0 ? "@" : "+") + interfaces[i];
  return text;
}

Destination parse_destination(std::string_view group, long long port) {
  GroupListRules rules = kDestinationRules;
  rules.allow_port = false;  // the port comes apart: "239.1.2.3:5004" as the group is a mistake worth naming
  const auto items = split_list(group);  // the list's own trimming and empty-entry rules
  if (items.empty())
    throw Error(ErrorKind::InvalidSetting, "no group given", "name a multicast group such as 239.255.0.1 or ff15::1");
  if (items.size() > 1)
    throw Error(ErrorKind::InvalidSetting, "'" + std::string(group) + "' is a list, not one group",
                "name one group per call");
  const GroupEntry entry = parse_group_entry(items.front(), rules);
  if (port < 1 || port > 65535)
    throw Error(ErrorKind::InvalidSetting, "port " + std::to_string(port) + " is out of range", "use 1 to 65535");
  return {entry.address, static_cast<uint16_t>(port), entry.interfaces};
}

std::vector<Destination> destinations_of(const std::vector<GroupEntry>& groups, uint16_t default_port) {
  std::vector<Destination> out;
  for (const auto& g : groups) {
    const Destination d{g.address, g.port.value_or(default_port), g.interfaces};
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
  }
  return out;
}

void check_destination_family(const Destination& d, Family family) {
  if (d.group.family() != family)
    throw Error(
        ErrorKind::InvalidSetting,
        d.to_string() + " is " + family_name(d.group.family()) + " but this sender sends " + family_name(family),
        "use a second element for the other family");
}

}  // namespace mcastexpert
