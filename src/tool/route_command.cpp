// mcastexpert route: where a sender would leave for a group, from which address, and why.
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "egress_choice.hpp"
#include "group_argument.hpp"
#include "json_writer.hpp"
#include "report.hpp"

namespace mcastexpert::tool {
namespace {

const CommandSpec kSpec{
    "route",
    "GROUP [--iface SPEC] [--json]",
    "Show the interface and source address mcastexpertsink would send GROUP by, and why.",
    "Without --iface, the routing table decides, as for the sink: a multicast route that covers the group\n"
    "(reason multicast-route), else the default route (default-route). --iface resolves a name, IPv4 address,\n"
    "IPv6 address[%scope] or index exactly as the sink's iface property does (reason iface).\n"
    "Exit code 0 with an answer; 1 when there is none (no route, no such interface, no address to send from),\n"
    "with the reason on stderr (and as \"error\" and \"fix\" in JSON); 2 for a bad command line.\n",
    1,
    1,
    {{"iface", 0, "SPEC", "the interface the sink names (iface=SPEC)"},
     {"json", 0, nullptr, "print JSON: group, interface, index, source, reason"}},
};

const char* explain(EgressReason reason) {
  switch (reason) {
    case EgressReason::MulticastRoute: return "a multicast route covers the group";
    case EgressReason::DefaultRoute: return "the default route (no multicast route covers the group)";
    case EgressReason::Iface: return "named with --iface";
  }
  return "";
}

int run(const ParsedArgs& args) {
  const GroupArgument g = parse_group_argument(args.positionals().front());
  const std::string spec = args.get("iface", g.scope);
  const bool json = args.has("json");
  try {
    const EgressChoice choice = choose_egress(g.group, spec, InterfaceTable::from_system());
    if (json) {
      JsonWriter out;
      out.begin_object()
          .field("group", g.group.to_string())
          .field("interface", choice.iface.name)
          .field("index", choice.iface.index)
          .field("source", choice.source.to_string())
          .field("reason", egress_reason_name(choice.reason))
          .end_object();
      std::printf("%s\n", out.str().c_str());
    } else {
      std::printf("%s leaves by %s (index %u) from %s: %s\n", g.group.to_string().c_str(), choice.iface.name.c_str(),
                  choice.iface.index, choice.source.to_string().c_str(), explain(choice.reason));
    }
    return kExitOk;
  } catch (const Error& e) {
    if (json) {
      JsonWriter out;
      out.begin_object()
          .field("group", g.group.to_string())
          .key("interface")
          .null()
          .field("error", e.what())
          .field("fix", e.hint())
          .end_object();
      std::printf("%s\n", out.str().c_str());
    }
    print_error("route", e);
    return kExitNo;
  }
}

}  // namespace

const Command kRouteCommand{kSpec, run};

}  // namespace mcastexpert::tool
