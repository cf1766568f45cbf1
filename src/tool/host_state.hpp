// What the host's multicast settings are right now, read where Linux shows them: sysctls under /proc/sys, the
// memberships in /proc/net/{igmp,igmp6,mcfilter,mcfilter6}, and the packet filter's rules (nft, iptables-save).
// Everything here reads the calling thread's network namespace.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ip_address.hpp"

namespace mcastexpert::tool {

// An integer sysctl, "net/ipv4/conf/eth0/rp_filter"; nullopt when it does not exist or cannot be read.
std::optional<long long> read_sysctl(const std::string& path);

// One group an interface holds, with the sources of its filter (source-specific joins or exclusions).
struct HeldMembership {
  std::string ifname;
  IpAddress group;
  std::vector<IpAddress> sources;
};

// Every group every interface holds, for a family.
std::vector<HeldMembership> read_memberships(Family family);
// The IGMP version an interface speaks now ("V2", "V3": /proc/net/igmp's Querier column, which follows a forced
// version and the queriers heard on its network); nullopt for an interface without IPv4.
std::optional<std::string> igmp_mode(const std::string& ifname);

// The text of the packet filter's rules as `nft list ruleset` (or iptables-save / ip6tables-save) prints them;
// nullopt when none can be read (no tool, or no permission).
struct FilterRules {
  std::string tool;  // "nft" or "iptables-save"
  std::string text;
};
std::optional<FilterRules> read_filter_rules(Family family);

// What the rules do to UDP datagrams arriving for `port`.
struct FilterVerdict {
  bool dropped = false;       // a rule drops or rejects them
  bool policy_drops = false;  // an input chain's policy drops, and no rule accepts the port
  std::string rule;           // the rule (or policy) at fault, as printed
};
FilterVerdict judge_filter(const FilterRules& rules, unsigned port);

}  // namespace mcastexpert::tool
