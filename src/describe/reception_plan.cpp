#include "reception_plan.hpp"

#include <algorithm>

#include "address_list.hpp"

namespace mcastexpert {

namespace {

void append_unique(std::vector<IpAddress>& to, const std::vector<IpAddress>& from) {
  for (const auto& a : from)
    if (std::none_of(to.begin(), to.end(), [&](const IpAddress& b) { return a.same_address(b); })) to.push_back(a);
}

std::string joined(const std::vector<IpAddress>& list) {
  std::string out;
  for (const auto& a : list) out += (out.empty() ? "" : ",") + a.to_string();
  return out;
}

}  // namespace

ReceptionPlan plan_reception(const StreamDescription& d, const std::string& iface) {
  ReceptionPlan plan;
  plan.caps = d.caps;
  plan.redundant = d.legs.size() > 1;
  plan.port = d.legs.front().port;
  const auto interfaces = split_interface_list(iface);
  const bool pin_each = plan.redundant && interfaces.size() == d.legs.size();
  plan.iface = pin_each ? "" : iface;
  std::vector<IpAddress> sources, blocked;
  for (size_t i = 0; i < d.legs.size(); ++i) {
    const DescribedLeg& leg = d.legs[i];
    GroupEntry entry;
    entry.address = leg.group;
    // One leg: the port is the port property's; several: each entry carries its own.
    if (d.legs.size() > 1) entry.port = leg.port;
    if (pin_each) entry.interfaces = {interfaces[i]};
    plan.groups += (plan.groups.empty() ? "" : ",") + entry.to_string();
    append_unique(sources, leg.sources);
    append_unique(blocked, leg.blocked);
  }
  plan.sources = joined(sources);
  plan.block_sources = joined(blocked);
  return plan;
}

}  // namespace mcastexpert
