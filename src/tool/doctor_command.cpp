// mcastexpert doctor: asks the host, check by check, what stands between it and working multicast, and says the
// command that fixes each finding.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "address_list.hpp"
#include "commands.hpp"
#include "egress_choice.hpp"
#include "group_argument.hpp"
#include "host_state.hpp"
#include "interface_spec.hpp"
#include "ipv6_switch.hpp"
#include "json_writer.hpp"
#include "report.hpp"
#include "route_lookup.hpp"
#include "sap_packet.hpp"

namespace mcastexpert::tool {
namespace {

const CommandSpec kSpec{
    "doctor",
    "[--iface SPEC] [--group GROUP[:PORT]] [--source S] [--port P] [--json]",
    "Check the host for what breaks multicast, and say the command that fixes each finding.",
    "Checks: iface-up, iface-multicast, iface-address, rp-filter, route, igmp-version, max-memberships,\n"
    "rmem-max, wmem-max, memberships, firewall, sap (whether SAP announcements, UDP 9875, can be heard: a\n"
    "filter rule, a strict rp_filter, a link down). Each is ok, warn (works, with a risk worth knowing) or fail\n"
    "(this breaks multicast). Without --iface, the interfaces the elements use by default are checked (those\n"
    "a receiver joins on and the one a sender leaves by); without --group, 239.255.0.1 stands for any group of\n"
    "IPv4 (pass an IPv6 group to check IPv6). --group and --source may be comma-separated lists.\n"
    "Exit code 0 when no check fails, 1 when one does.\n",
    0,
    0,
    {{"iface", 0, "SPEC", "the interfaces to check (names, addresses or indexes, comma-separated)"},
     {"group", 0, "GROUP", "the groups the stream uses (a list; a port with the first sets --port)"},
     {"source", 0, "S", "the senders of a source-specific stream (a list)"},
     {"port", 0, "P", "the UDP port, for the firewall check (default 5004)"},
     {"json", 0, nullptr, "print JSON: {\"checks\": [{\"id\", \"status\", \"message\", \"fix\"}]}"}},
};

enum class Status { Ok, Warn, Fail };
const char* status_name(Status s) {
  return s == Status::Ok ? "ok" : s == Status::Warn ? "warn" : "fail";
}

// One check's findings, gathered per interface and reported as one line: the worst status, every finding, every
// fix.
struct Check {
  const char* id;
  Status status = Status::Ok;
  std::vector<std::string> messages, fixes;

  void add(Status s, std::string message, std::string fix = {}) {
    if (s > status) status = s;
    messages.push_back(std::move(message));
    if (!fix.empty()) fixes.push_back(std::move(fix));
  }
};

constexpr long long kVideoBuffer = 4LL * 1024 * 1024;  // 4 MiB: about 80 ms of a 400 Mbit/s stream

struct Context {
  InterfaceTable table;
  std::vector<NetInterface> ifaces;
  bool ifaces_named = false;
  std::vector<GroupEntry> groups;
  std::vector<IpAddress> sources;
  unsigned port = 5004;
  Family family = Family::V4;
  bool ssm = false;
};

std::string sysctl_family(Family f) {
  return f == Family::V4 ? "ipv4" : "ipv6";
}

void check_iface_up(const Context& c, Check& check) {
  for (const auto& i : c.ifaces) {
    if (i.up)
      check.add(Status::Ok, i.name + " is up");
    else
      check.add(Status::Fail, i.name + " is down: nothing is sent or received on it",
                "ip link set dev " + i.name + " up");
  }
}

void check_iface_multicast(const Context& c, Check& check) {
  for (const auto& i : c.ifaces) {
    if (i.multicast || i.loopback)
      check.add(Status::Ok,
                i.name + (i.multicast ? " has the MULTICAST flag" : " is loopback (multicast works without the flag)"));
    else
      check.add(Status::Fail, i.name + " lacks the MULTICAST flag: the kernel will not join or send multicast on it",
                "ip link set dev " + i.name + " multicast on");
  }
}

void check_iface_address(const Context& c, Check& check) {
  const IpAddress& group = c.groups.front().address;
  for (const auto& i : c.ifaces) {
    if (const auto source = i.source_address_for(group))
      check.add(Status::Ok, i.name + " has " + family_name(c.family) + " address " + source->to_string());
    else if (c.family == Family::V6 && ipv6_disabled(i.name))
      check.add(Status::Fail,
                "IPv6 is disabled on " + i.name +
                    ": it has no IPv6 address, and a join there is taken but never receives anything",
                ipv6_enable_command(i.name) + ", then give it its address again if it had one by hand");
    else
      check.add(Status::Fail,
                i.name + " has no " + std::string(family_name(c.family)) +
                    " address: a sender cannot send from it, and the default interfaces leave it out",
                "ip address add ADDRESS/PREFIX dev " + i.name + " (an " + family_name(c.family) +
                    " address of that network)");
  }
}

void check_rp_filter(const Context& c, Check& check) {
  if (c.family == Family::V6) {
    check.add(Status::Ok, "IPv6 has no rp_filter sysctl (a netfilter rpfilter rule shows under firewall)");
    return;
  }
  const long long all = read_sysctl("net/ipv4/conf/all/rp_filter").value_or(0);
  for (const auto& i : c.ifaces) {
    if (i.loopback) continue;
    const long long own = read_sysctl("net/ipv4/conf/" + i.name + "/rp_filter").value_or(0);
    const long long mode = std::max(all, own);  // the kernel applies the stricter of the two
    const std::string where = i.name + " (all=" + std::to_string(all) + ", " + i.name + "=" + std::to_string(own) + ")";
    if (mode != 1) {
      check.add(Status::Ok, "reverse-path filter on " + where + " is " + (mode == 0 ? "off" : "loose") + ": fine");
      continue;
    }
    const std::string fix = "sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf." + i.name + ".rp_filter=2";
    if (c.sources.empty()) {
      check.add(Status::Warn,
                "reverse-path filter on " + where +
                    " is strict: multicast from a sender whose address is not routed back through " + i.name +
                    " is dropped before any program sees it",
                fix);
      continue;
    }
    for (const auto& s : c.sources) {
      const auto back = lookup_route(s);
      const NetInterface* via = back ? c.table.by_index(back->interface_index) : nullptr;
      if (via != nullptr && via->index == i.index)
        check.add(Status::Ok, "reverse-path filter on " + where + " is strict, and " + s.to_string() +
                                  " is routed back through " + i.name + ": its multicast passes");
      else
        check.add(Status::Fail,
                  "reverse-path filter on " + where + " is strict and the route back to " + s.to_string() +
                      (via != nullptr ? " leaves by " + via->name : std::string(" does not exist")) +
                      ": its multicast arriving on " + i.name + " is dropped",
                  fix);
    }
  }
}

void check_route(const Context& c, Check& check) {
  for (const auto& entry : c.groups) {
    const IpAddress& group = entry.address;
    if (group.is_v6() && group.multicast_scope() <= MulticastScope::LinkLocal) {
      check.add(Status::Ok, group.to_string() +
                                " is link-scoped: a sender must name its interface (iface), the "
                                "routing table cannot choose");
      continue;
    }
    try {
      EgressReason reason = EgressReason::DefaultRoute;
      const NetInterface& out = routed_egress_interface(group, c.table, reason);
      const std::string how = reason == EgressReason::MulticastRoute ? "a multicast route" : "the default route";
      bool asked = !c.ifaces_named;
      for (const auto& i : c.ifaces) asked = asked || i.index == out.index;
      if (asked) {
        check.add(Status::Ok, group.to_string() + " leaves by " + out.name + " (" + how + ")");
      } else {
        const std::string to = c.ifaces.front().name;
        check.add(Status::Warn,
                  concat(group.to_string(), " leaves by ", out.name, " (", how, "), not ", to,
                         ": a sink without iface sends it there"),
                  c.family == Family::V4 ? concat("ip route add ", group.to_string(), "/32 dev ", to,
                                                  " (or set iface=", to, " on the sink)")
                                         : concat("set iface=", to, " on the sink"));
      }
    } catch (const Error& e) {
      const std::string dev = c.ifaces.empty() ? "IFACE" : c.ifaces.front().name;
      check.add(Status::Fail, e.what() + std::string(": a sink without iface cannot send"),
                c.family == Family::V4 ? "ip route add 224.0.0.0/4 dev " + dev + " (or set iface on the sink)"
                                       : "ip -6 route add default dev " + dev + " (or set iface on the sink)");
    }
  }
}

void check_igmp_version(const Context& c, Check& check) {
  const bool v4 = c.family == Family::V4;
  const std::string key = v4 ? "force_igmp_version" : "force_mld_version";
  const std::string proto = v4 ? "IGMP" : "MLD";
  const long long all = read_sysctl("net/" + sysctl_family(c.family) + "/conf/all/" + key).value_or(0);
  for (const auto& i : c.ifaces) {
    const long long own = read_sysctl("net/" + sysctl_family(c.family) + "/conf/" + i.name + "/" + key).value_or(0);
    // Forcing version 1 or 2 (IGMP) / 1 (MLD) on either `all` or the interface takes effect.
    const long long limit = v4 ? 2 : 1;
    long long forced = 0;
    for (const long long v : {all, own})
      if (v >= 1 && v <= limit && (forced == 0 || v < forced)) forced = v;
    std::string mode = forced != 0 ? proto + "v" + std::to_string(forced) + " (forced)" : proto + (v4 ? "v3" : "v2");
    bool old = forced != 0;
    if (v4 && forced == 0)
      if (const auto m = igmp_mode(i.name); m && *m != "V3") {
        mode = "IGMPv" + m->substr(1) + " (an older querier on the network)";
        old = true;
      }
    const std::string fix = concat("sysctl -w net.", sysctl_family(c.family), ".conf.all.", key, "=0 net.",
                                   sysctl_family(c.family), ".conf.", i.name, ".", key, "=0");
    if (old && c.ssm)
      check.add(Status::Fail,
                i.name + " speaks " + mode +
                    ", which cannot carry source-specific joins: the kernel falls back to "
                    "any-source, and the network forwards every sender",
                fix);
    else if (old)
      check.add(Status::Ok, i.name + " speaks " + mode + ": fine for any-source groups, not for source-specific ones");
    else
      check.add(Status::Ok, i.name + " speaks " + mode + " (source-specific joins work)");
  }
}

void check_max_memberships(const Context& c, Check& check) {
  const size_t joins = c.groups.size() * std::max<size_t>(1, c.ifaces.size());
  const std::string asked = std::to_string(joins) + (joins == 1 ? " join asked" : " joins asked");
  if (c.family == Family::V4) {
    if (const auto max = read_sysctl("net/ipv4/igmp_max_memberships")) {
      const std::string fix =
          "sysctl -w net.ipv4.igmp_max_memberships=" + std::to_string(std::max<size_t>(joins, 20) * 2);
      if (*max == 0)
        check.add(Status::Fail, "igmp_max_memberships is 0: no socket can join any group", fix);
      else if (static_cast<size_t>(*max) < joins)
        check.add(Status::Warn,
                  asked + ", igmp_max_memberships is " + std::to_string(*max) +
                      " per socket: mcastexpertsrc spreads them over several sockets; udpsrc and most programs fail "
                      "with ENOBUFS",
                  fix);
      else
        check.add(Status::Ok, asked + ", igmp_max_memberships is " + std::to_string(*max));
    }
  } else {
    check.add(Status::Ok, "IPv6 has no per-socket membership limit");
  }
  const std::string msf_key = c.family == Family::V4 ? "net/ipv4/igmp_max_msf" : "net/ipv6/mld_max_msf";
  if (const auto msf = read_sysctl(msf_key)) {
    const std::string name = c.family == Family::V4 ? "igmp_max_msf" : "mld_max_msf";
    if (static_cast<size_t>(*msf) < c.sources.size())
      check.add(Status::Warn,
                std::to_string(c.sources.size()) + (c.sources.size() == 1 ? " source" : " sources") + " asked, " +
                    name + " is " + std::to_string(*msf) +
                    " per socket and group: mcastexpertsrc spreads them over several sockets; udpsrc and most "
                    "programs fail with ENOBUFS",
                "sysctl -w net." + sysctl_family(c.family) + "." + name + "=" + std::to_string(c.sources.size() * 2));
    else
      check.add(Status::Ok, std::to_string(c.sources.size()) + (c.sources.size() == 1 ? " source" : " sources") +
                                " asked, " + name + " is " + std::to_string(*msf));
  }
}

void check_buffer_max(const char* which, const char* element_property, Check& check) {
  const auto max = read_sysctl(std::string("net/core/") + which);
  if (!max) {
    check.add(Status::Warn, std::string("cannot read net.core.") + which);
    return;
  }
  if (*max < kVideoBuffer)
    check.add(Status::Warn,
              std::string(which) + " is " + std::to_string(*max) + " bytes: " + element_property +
                  " above it is cut to it, and a video stream needs 4 MiB or more to ride out a stall",
              std::string("sysctl -w net.core.") + which + "=8388608");
  else
    check.add(Status::Ok, std::string(which) + " is " + std::to_string(*max) + " bytes: room for a video stream");
}

void check_memberships(const Context& c, Check& check) {
  const auto held = read_memberships(c.family);
  for (const auto& i : c.ifaces) {
    std::vector<std::string> groups;
    for (const auto& h : held) {
      if (h.ifname != i.name) continue;
      std::string g = h.group.to_string();
      if (!h.sources.empty()) {
        std::vector<std::string> s;
        for (const auto& a : h.sources) s.push_back(a.to_string());
        g += " (sources " + join(s) + ")";
      }
      groups.push_back(g);
    }
    check.add(Status::Ok, i.name + " holds " + (groups.empty() ? std::string("no group") : join(groups)));
  }
  if (!c.ifaces_named) return;
  for (const auto& entry : c.groups)
    for (const auto& h : held) {
      bool checked = false;
      for (const auto& i : c.ifaces) checked = checked || i.name == h.ifname;
      if (!checked && h.group.same_address(entry.address))
        check.add(
            Status::Warn,
            entry.address.to_string() + " is also joined on " + h.ifname +
                ": a program bound to the port that does not filter by interface (udpsrc) gets it from there too");
    }
}

void check_firewall(const Context& c, Check& check) {
  const auto rules = read_filter_rules(c.family);
  if (!rules) {
    check.add(Status::Warn, "no packet filter rules could be read (no nft or iptables-save, or not root): not checked",
              "run as root: sudo mcastexpert doctor");
    return;
  }
  const FilterVerdict v = judge_filter(*rules, c.port);
  if (v.dropped)
    check.add(Status::Fail, "a " + rules->tool + " rule drops UDP port " + std::to_string(c.port) + ": " + v.rule,
              rules->tool == "nft" ? "nft list ruleset -a, then nft delete rule FAMILY TABLE CHAIN handle N (or add an "
                                     "accept rule for udp dport " +
                                         std::to_string(c.port) + " before it)"
                                   : "iptables -I INPUT -p udp --dport " + std::to_string(c.port) + " -j ACCEPT");
  else if (v.policy_drops)
    check.add(Status::Fail,
              "an input policy drops everything and no rule accepts UDP port " + std::to_string(c.port) + ": " + v.rule,
              rules->tool == "nft" ? "nft add rule FAMILY TABLE CHAIN udp dport " + std::to_string(c.port) + " accept"
                                   : "iptables -I INPUT -p udp --dport " + std::to_string(c.port) + " -j ACCEPT");
  else
    check.add(Status::Ok, "no " + rules->tool + " rule drops UDP port " + std::to_string(c.port));
}

// Whether each interface can hear SAP announcements (UDP 9875 on 239.255.255.255, 224.2.127.254, 224.0.0.56 and
// ff0X::2:7ffe), whatever group and port the stream itself uses: what mcastexpertsrc sap-session, the device provider
// and mcastexpert sap depend on. A rule that drops the port silences every one of them; a strict reverse-path filter
// drops the announcements of devices that are not routed back through the interface they announce on.
void check_sap(const Context& c, Check& check) {
  std::vector<std::string> dropped;
  for (const Family f : {Family::V4, Family::V6}) {
    const auto rules = read_filter_rules(f);
    if (!rules) continue;
    const FilterVerdict v = judge_filter(*rules, kSapPort);
    if (!v.dropped && !v.policy_drops) continue;
    const std::string what = "a " + rules->tool + (v.dropped ? " rule drops" : " input policy drops") + " UDP port " +
                             std::to_string(kSapPort) + " (SAP) for " + family_name(f) + ": " + v.rule;
    if (std::find(dropped.begin(), dropped.end(), what) == dropped.end()) dropped.push_back(what);
  }
  for (const auto& d : dropped)
    check.add(Status::Fail, d + " — no announcement is heard on any interface",
              "accept it before the rule: nft add rule FAMILY TABLE CHAIN udp dport " + std::to_string(kSapPort) +
                  " accept (iptables -I INPUT -p udp --dport " + std::to_string(kSapPort) + " -j ACCEPT)");
  const long long all = read_sysctl("net/ipv4/conf/all/rp_filter").value_or(0);
  for (const auto& i : c.ifaces) {
    if (i.loopback) continue;
    if (!i.up || !i.multicast) {
      check.add(Status::Fail, i.name + " cannot hear SAP: it is " + (i.up ? "not multicast-capable" : "down"),
                "see iface-up and iface-multicast");
      continue;
    }
    const long long own = read_sysctl("net/ipv4/conf/" + i.name + "/rp_filter").value_or(0);
    if (std::max(all, own) == 1) {
      check.add(Status::Warn,
                "on " + i.name +
                    " the strict reverse-path filter drops the SAP announcements of devices whose address is not "
                    "routed back through " +
                    i.name + " (another subnet, no route to it here): they are never listed",
                "sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf." + i.name + ".rp_filter=2");
      continue;
    }
    if (dropped.empty()) check.add(Status::Ok, i.name + " can hear SAP (UDP " + std::to_string(kSapPort) + ")");
  }
}

Context make_context(const ParsedArgs& args) {
  Context c;
  c.table = InterfaceTable::from_system();
  try {
    c.groups = parse_group_list(args.get("group", "239.255.0.1"), kReceiverGroupRules);
    c.sources = parse_source_list(args.get("source"));
  } catch (const Error& e) {
    throw UsageError(e.full());
  }
  if (c.groups.empty()) throw UsageError("--group is empty: name a group, e.g. 239.255.0.1");
  c.family = c.groups.front().address.family();
  if (c.groups.front().port) c.port = *c.groups.front().port;
  c.port = static_cast<unsigned>(args.get_integer("port", c.port, 1, 65535));
  for (const auto& g : c.groups) c.ssm = c.ssm || g.address.is_ssm();
  c.ssm = c.ssm || !c.sources.empty();
  const std::string spec = args.get("iface");
  if (!spec.empty()) {
    c.ifaces_named = true;
    for (const auto& item : split_list(spec))
      for (const NetInterface* i : resolve_interface_spec(c.table, item, InterfaceRole::Receive)) {
        bool seen = false;
        for (const auto& k : c.ifaces) seen = seen || k.index == i->index;
        if (!seen) c.ifaces.push_back(*i);
      }
    return c;
  }
  try {
    c.ifaces = default_receive_interfaces(c.table, c.family);
  } catch (const Error&) {
  }
  try {
    EgressReason reason = EgressReason::DefaultRoute;
    const NetInterface& out = routed_egress_interface(c.groups.front().address, c.table, reason);
    bool seen = false;
    for (const auto& k : c.ifaces) seen = seen || k.index == out.index;
    if (!seen) c.ifaces.push_back(out);
  } catch (const Error&) {
  }
  return c;
}

int run(const ParsedArgs& args) {
  const Context c = make_context(args);
  std::vector<Check> checks;
  auto check = [&](const char* id, auto&& body) {
    Check k{id, Status::Ok, {}, {}};
    body(k);
    checks.push_back(std::move(k));
  };
  if (c.ifaces.empty()) {
    check("iface-up", [&](Check& k) {
      k.add(Status::Fail, std::string("no interface is up with multicast and an ") + family_name(c.family) + " address",
            "ip link set dev IFACE up (and give it an address)");
    });
  } else {
    check("iface-up", [&](Check& k) { check_iface_up(c, k); });
  }
  check("iface-multicast", [&](Check& k) { check_iface_multicast(c, k); });
  check("iface-address", [&](Check& k) { check_iface_address(c, k); });
  check("rp-filter", [&](Check& k) { check_rp_filter(c, k); });
  check("route", [&](Check& k) { check_route(c, k); });
  check("igmp-version", [&](Check& k) { check_igmp_version(c, k); });
  check("max-memberships", [&](Check& k) { check_max_memberships(c, k); });
  check("rmem-max", [&](Check& k) { check_buffer_max("rmem_max", "the source's buffer-size", k); });
  check("wmem-max", [&](Check& k) { check_buffer_max("wmem_max", "the sink's buffer-size", k); });
  check("memberships", [&](Check& k) { check_memberships(c, k); });
  check("firewall", [&](Check& k) { check_firewall(c, k); });
  check("sap", [&](Check& k) { check_sap(c, k); });

  bool failed = false;
  for (const auto& k : checks) failed = failed || k.status == Status::Fail;
  if (args.has("json")) {
    JsonWriter out;
    out.begin_object().key("checks").begin_array();
    for (const auto& k : checks)
      out.begin_object()
          .field("id", k.id)
          .field("status", status_name(k.status))
          .field("message", join(k.messages, "; "))
          .field("fix", join(k.fixes, "; "))
          .end_object();
    out.end_array().end_object();
    std::printf("%s\n", out.str().c_str());
  } else {
    std::vector<std::string> names;
    for (const auto& i : c.ifaces) names.push_back(i.name);
    std::printf("Checking %s for %s (UDP port %u)%s\n", names.empty() ? "no interface" : join(names).c_str(),
                c.groups.size() == 1 ? c.groups.front().address.to_string().c_str() : "the groups", c.port,
                c.ifaces_named ? "" : ", the default interfaces");
    for (const auto& k : checks) {
      for (size_t m = 0; m < k.messages.size(); ++m)
        std::printf("%-5s %-16s %s\n", m == 0 ? status_name(k.status) : "", m == 0 ? k.id : "", k.messages[m].c_str());
      for (const auto& f : k.fixes) std::printf("%-5s %-16s fix: %s\n", "", "", f.c_str());
    }
    std::printf("%s\n", failed ? "Some checks failed: see the fixes above." : "No check failed.");
  }
  return failed ? kExitNo : kExitOk;
}

}  // namespace

const Command kDoctorCommand{kSpec, run};

}  // namespace mcastexpert::tool
