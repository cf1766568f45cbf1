// mcastexpert ifaces: every interface as the elements see it, with the defaults they would use.
#include <cstdio>
#include <optional>
#include <string>

#include "commands.hpp"
#include "egress_choice.hpp"
#include "interface_spec.hpp"
#include "json_writer.hpp"
#include "report.hpp"

namespace mcastexpert::tool {
namespace {

const CommandSpec kSpec{
    "ifaces",
    "[-4|-6] [--json]",
    "List the interfaces: index, name, state, MTU, addresses, and which ones the elements use by default.",
    "\"receive\" marks the interfaces mcastexpertsrc joins on when iface is empty (up, multicast, not loopback,\n"
    "with an address of the family); \"send IPv4\" / \"send IPv6\" the one mcastexpertsink sends by when iface is\n"
    "empty (where the routing table sends a group: `mcastexpert route GROUP` answers for one group).\n"
    "Exit code 0, or 1 when the interfaces cannot be read.\n",
    0,
    0,
    {{"ipv4", '4', nullptr, "only IPv4: IPv4 addresses and defaults"},
     {"ipv6", '6', nullptr, "only IPv6: IPv6 addresses and defaults"},
     {"json", 0, nullptr, "print JSON (see docs/mcastexpert-tool.md)"}},
};

// Groups whose route stands for "a group of the family" when no group is named: an organisation-local IPv4 group
// and a site-local IPv6 one (both routed, neither link-scoped).
IpAddress representative_group(Family family) {
  return *IpAddress::parse(family == Family::V4 ? "239.255.0.1" : "ff15::1");
}

std::optional<std::string> send_default(const InterfaceTable& table, Family family) {
  try {
    EgressReason reason = EgressReason::DefaultRoute;
    return routed_egress_interface(representative_group(family), table, reason).name;
  } catch (const Error&) {
    return std::nullopt;  // no route, or it leads to an interface that cannot carry multicast
  }
}

bool is_receive_default(const InterfaceTable& table, Family family, unsigned index) {
  try {
    for (const auto& i : default_receive_interfaces(table, family))
      if (i.index == index) return true;
  } catch (const Error&) {
  }
  return false;
}

std::string state_of(const NetInterface& i) {
  std::string s = i.up ? "up" : "down";
  if (i.multicast) s += ",multicast";
  if (i.loopback) s += ",loopback";
  return s;
}

int run(const ParsedArgs& args) {
  const bool v4 = !args.has("ipv6") || args.has("ipv4");
  const bool v6 = !args.has("ipv4") || args.has("ipv6");
  const InterfaceTable table = InterfaceTable::from_system();
  const std::optional<std::string> send4 = v4 ? send_default(table, Family::V4) : std::nullopt;
  const std::optional<std::string> send6 = v6 ? send_default(table, Family::V6) : std::nullopt;

  auto addresses_of = [&](const NetInterface& i) {
    std::vector<std::string> out;
    for (const auto& a : i.addresses)
      if ((a.address.is_v4() && v4) || (a.address.is_v6() && v6))
        out.push_back(a.address.to_string() + "/" + std::to_string(a.prefix_length));
    return out;
  };
  auto receive_default = [&](const NetInterface& i) {
    return (v4 && is_receive_default(table, Family::V4, i.index)) ||
           (v6 && is_receive_default(table, Family::V6, i.index));
  };

  if (args.has("json")) {
    JsonWriter json;
    json.begin_object().key("interfaces").begin_array();
    for (const auto& i : table.interfaces()) {
      json.begin_object()
          .field("name", i.name)
          .field("index", i.index)
          .field("up", i.up)
          .field("multicast", i.multicast)
          .field("loopback", i.loopback)
          .field("mtu", i.mtu)
          .key("addresses")
          .begin_array();
      for (const auto& a : addresses_of(i)) json.value(a);
      json.end_array().field("receive_default", receive_default(i)).end_object();
    }
    json.end_array().key("send_default").begin_object();
    json.key("ipv4").value_or_null(send4).key("ipv6").value_or_null(send6);
    json.end_object().end_object();
    std::printf("%s\n", json.str().c_str());
    return kExitOk;
  }

  TextTable out({"INDEX", "NAME", "STATE", "MTU", "DEFAULT", "ADDRESSES"});
  for (const auto& i : table.interfaces()) {
    std::vector<std::string> marks;
    if (receive_default(i)) marks.emplace_back("receive");
    if (send4 && *send4 == i.name) marks.emplace_back("send IPv4");
    if (send6 && *send6 == i.name) marks.emplace_back("send IPv6");
    const auto addresses = addresses_of(i);
    out.add({std::to_string(i.index), i.name, state_of(i), std::to_string(i.mtu), marks.empty() ? "-" : join(marks),
             addresses.empty() ? "-" : join(addresses, " ")});
  }
  std::fputs(out.str().c_str(), stdout);
  if (v4 && !send4) std::printf("No IPv4 send default: no route for IPv4 multicast (name iface on the sink).\n");
  if (v6 && !send6) std::printf("No IPv6 send default: no route for IPv6 multicast (name iface on the sink).\n");
  return kExitOk;
}

}  // namespace

const Command kIfacesCommand{kSpec, run};

}  // namespace mcastexpert::tool
