#include "host_state.hpp"

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

namespace mcastexpert::tool {
namespace {

std::optional<IpAddress> v6_from_hex(const std::string& hex) {
  if (hex.size() != 32) return std::nullopt;
  in6_addr a{};
  for (size_t i = 0; i < 16; ++i)
    a.s6_addr[i] = static_cast<uint8_t>(std::strtoul(hex.substr(i * 2, 2).c_str(), nullptr, 16));
  return IpAddress::from_v6(a);
}

// /proc/net/mcfilter prints addresses as 0x%08x of the host-order value.
std::optional<IpAddress> v4_from_host_hex(const std::string& hex) {
  if (hex.size() < 3) return std::nullopt;
  in_addr a{};
  a.s_addr = htonl(static_cast<uint32_t>(std::strtoul(hex.c_str(), nullptr, 16)));
  return IpAddress::from_v4(a);
}

HeldMembership* find(std::vector<HeldMembership>& held, const std::string& ifname, const IpAddress& group) {
  for (auto& h : held)
    if (h.ifname == ifname && h.group.same_address(group)) return &h;
  return nullptr;
}

// /proc/net/mcfilter and mcfilter6: "Idx Device MCA SRC INC EXC", one line per (group, source) of a filter.
void add_source_filters(const char* path, std::optional<IpAddress> (*parse)(const std::string&),
                        std::vector<HeldMembership>& held) {
  std::ifstream filters(path);
  std::string line;
  std::getline(filters, line);  // header
  while (std::getline(filters, line)) {
    std::istringstream words(line);
    std::string index, name, group, source;
    if (!(words >> index >> name >> group >> source)) continue;
    const auto g = parse(group);
    const auto s = parse(source);
    if (!g || !s) continue;
    if (HeldMembership* h = find(held, name, *g)) h->sources.push_back(*s);
  }
}

std::optional<std::string> run_reader(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen((command + " 2>/dev/null").c_str(), "r"), pclose);
  if (!pipe) return std::nullopt;
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe.get())) > 0) out.append(buf, n);
  const int status = pclose(pipe.release());
  if (status != 0) return std::nullopt;
  return out;
}

// Whether a port expression right after "dport" ("5004", "5000-5010", "5000:5010", "{ 53, 5004 }") covers port.
bool covers(std::istringstream& words, unsigned port) {
  std::string w;
  if (!(words >> w)) return false;
  auto one = [port](std::string item) {
    while (!item.empty() && (item.back() == ',' || item.back() == '}')) item.pop_back();
    const auto dash = item.find_first_of("-:");
    char* end = nullptr;
    const unsigned long lo = std::strtoul(item.c_str(), &end, 10);
    if (end == item.c_str()) return false;
    const unsigned long hi = dash == std::string::npos ? lo : std::strtoul(item.c_str() + dash + 1, nullptr, 10);
    return port >= lo && port <= hi;
  };
  if (w != "{") return one(w);
  bool hit = false;
  while (words >> w && w != "}") hit = hit || one(w);
  return hit;
}

}  // namespace

std::optional<long long> read_sysctl(const std::string& path) {
  std::ifstream in("/proc/sys/" + path);
  long long v = 0;
  if (!(in >> v)) return std::nullopt;
  return v;
}

std::vector<HeldMembership> read_memberships(Family family) {
  std::vector<HeldMembership> held;
  if (family == Family::V4) {
    std::ifstream in("/proc/net/igmp");
    std::string line, ifname;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream words(line);
      if (!line.empty() && line[0] != '\t') {
        std::string index;
        words >> index >> ifname;
        continue;
      }
      std::string hex;
      if (!(words >> hex) || hex.size() != 8) continue;
      in_addr a{};
      a.s_addr = static_cast<uint32_t>(std::strtoul(hex.c_str(), nullptr, 16));  // the raw network-order word
      held.push_back(HeldMembership{ifname, IpAddress::from_v4(a), {}});
    }
    add_source_filters("/proc/net/mcfilter", v4_from_host_hex, held);
  } else {
    std::ifstream in("/proc/net/igmp6");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string index, name, group;
      if (!(words >> index >> name >> group)) continue;
      if (const auto g = v6_from_hex(group)) held.push_back(HeldMembership{name, *g, {}});
    }
    add_source_filters("/proc/net/mcfilter6", v6_from_hex, held);
  }
  return held;
}

std::optional<std::string> igmp_mode(const std::string& ifname) {
  std::ifstream in("/proc/net/igmp");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '\t') continue;
    std::istringstream words(line);
    std::string index, name, colon, count, querier;
    if (words >> index >> name >> colon >> count >> querier && name == ifname) return querier;
  }
  return std::nullopt;
}

std::optional<FilterRules> read_filter_rules(Family family) {
  if (auto text = run_reader("nft list ruleset")) return FilterRules{"nft", *text};
  if (auto text = run_reader(family == Family::V4 ? "iptables-save" : "ip6tables-save"))
    return FilterRules{family == Family::V4 ? "iptables-save" : "ip6tables-save", *text};
  return std::nullopt;
}

FilterVerdict judge_filter(const FilterRules& rules, unsigned port) {
  FilterVerdict verdict;
  std::istringstream lines(rules.text);
  std::string line, chain_hook, policy_line;
  bool accepted = false;
  while (std::getline(lines, line)) {
    const bool outbound = chain_hook == "output" || chain_hook == "postrouting";
    if (rules.tool == "nft") {
      if (line.find("chain ") != std::string::npos && line.find('{') != std::string::npos) chain_hook.clear();
      const auto hook = line.find("hook ");
      if (hook != std::string::npos) {
        std::istringstream w(line.substr(hook + 5));
        w >> chain_hook;
        if (line.find("policy drop") != std::string::npos && (chain_hook == "input" || chain_hook == "prerouting"))
          policy_line = line;
        continue;
      }
    } else if (line.rfind(":INPUT DROP", 0) == 0) {
      policy_line = line;
      continue;
    } else if (line.rfind("-A OUTPUT", 0) == 0 || line.rfind("-A POSTROUTING", 0) == 0) {
      continue;
    }
    if (outbound) continue;
    std::istringstream words(line);
    std::string w;
    bool udp = false, hit = false, drops = false, accepts = false;
    while (words >> w) {
      if (w == "udp") udp = true;
      if ((w == "dport" || w == "--dport" || w == "--dports") && covers(words, port)) hit = true;
      if (w == "drop" || w == "reject" || w == "DROP" || w == "REJECT") drops = true;
      if (w == "accept" || w == "ACCEPT") accepts = true;
    }
    if (!(udp && hit)) continue;
    if (drops && !verdict.dropped) {
      verdict.dropped = true;
      verdict.rule = line.substr(line.find_first_not_of(" \t"));
    }
    if (accepts) accepted = true;
  }
  if (!verdict.dropped && !policy_line.empty() && !accepted) {
    verdict.policy_drops = true;
    verdict.rule = policy_line.substr(policy_line.find_first_not_of(" \t"));
  }
  return verdict;
}

}  // namespace mcastexpert::tool
