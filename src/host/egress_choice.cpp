#include "egress_choice.hpp"

#include <string>

#include "error.hpp"
#include "interface_spec.hpp"
#include "ipv6_switch.hpp"
#include "route_lookup.hpp"

namespace mcastexpert {

const char* egress_reason_name(EgressReason reason) {
  switch (reason) {
    case EgressReason::MulticastRoute: return "multicast-route";
    case EgressReason::DefaultRoute: return "default-route";
    case EgressReason::Iface: return "iface";
  }
  return "?";
}

const NetInterface& routed_egress_interface(const IpAddress& group, const InterfaceTable& table, EgressReason& reason) {
  if (group.is_v6() && group.multicast_scope() <= MulticastScope::LinkLocal)
    throw Error(ErrorKind::InvalidSetting,
                group.to_string() + " is a " + std::string(scope_name(group.multicast_scope())) +
                    " group: the routing table cannot say which link it is for",
                "name the interface to send by (iface)");
  const auto route = lookup_route(group);
  if (!route)
    throw Error(ErrorKind::NotFound,
                "no route for " + group.to_string() + ", so no interface to send by" +
                    (group.is_v6() ? ipv6_disabled_note("all") : std::string()),
                "name the interface (iface), or add a default or multicast route");
  const NetInterface* iface = table.by_index(route->interface_index);
  if (iface == nullptr)
    throw Error(ErrorKind::NotFound,
                "the route for " + group.to_string() + " names interface index " +
                    std::to_string(route->interface_index) + ", which is gone",
                "name the interface (iface)");
  check_multicast_capable(*iface, iface->name);
  reason = route->matched_prefix_length > 0 ? EgressReason::MulticastRoute : EgressReason::DefaultRoute;
  return *iface;
}

IpAddress egress_source(const NetInterface& iface, const IpAddress& group) {
  const auto source = iface.source_address_for(group);
  if (!source)
    throw Error(ErrorKind::InvalidSetting,
                "interface " + iface.name + " has no " + family_name(group.family()) + " address to send from" +
                    (group.is_v6() ? ipv6_disabled_note(iface.name) : std::string()),
                "give it one, or name another interface");
  return *source;
}

EgressChoice choose_egress(const IpAddress& group, std::string_view iface_spec, const InterfaceTable& table) {
  if (iface_spec.empty()) {
    EgressReason reason = EgressReason::DefaultRoute;
    const NetInterface& iface = routed_egress_interface(group, table, reason);
    return EgressChoice{iface, egress_source(iface, group), reason};
  }
  const auto ifaces =
      about_setting("iface", [&] { return resolve_interfaces(table, iface_spec, InterfaceRole::Send); });
  if (ifaces.size() != 1)
    throw Error(ErrorKind::InvalidSetting, "\"" + std::string(iface_spec) + "\" names more than one interface",
                "name one interface");
  return EgressChoice{ifaces.front(), egress_source(ifaces.front(), group), EgressReason::Iface};
}

}  // namespace mcastexpert
