#include "address_list.hpp"

#include <algorithm>
#include <cctype>

#include "error.hpp"

namespace mcastexpert {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

[[noreturn]] void bad(const std::string& entry, const std::string& why, std::string hint = {}) {
  throw Error(ErrorKind::InvalidSetting, "'" + entry + "' " + why, std::move(hint));
}

uint16_t parse_port(const std::string& entry, std::string_view digits) {
  if (digits.empty() || digits.size() > 5 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    bad(entry, "has a port that is not a number", "write the port as digits, 1 to 65535");
  const unsigned long port = std::stoul(std::string(digits));
  if (port < 1 || port > 65535) bad(entry, "has port " + std::string(digits) + ", out of range", "use 1 to 65535");
  return static_cast<uint16_t>(port);
}

const char* multicast_range(Family family) {
  return family == Family::V4 ? "IPv4 multicast is 224.0.0.0/4" : "IPv6 multicast is ff00::/8";
}

// Takes apart one entry into address text, optional %scope and optional port.
struct EntryParts {
  std::string_view address;
  std::string_view scope;
  std::optional<std::string_view> port;
};

EntryParts split_entry(const std::string& entry) {
  EntryParts parts;
  std::string_view rest(entry);
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) bad(entry, "opens '[' without closing it", "write [ff15::1]:5004");
    parts.address = rest.substr(1, close - 1);
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') bad(entry, "has text after ']' that is not ':port'", "write [ff15::1]:5004");
      parts.port = rest.substr(1);
    }
  } else if (std::count(rest.begin(), rest.end(), ':') == 1) {
    // One colon: IPv4 with a port. (An IPv6 address has at least two; "ff15::1:5004" is an address, not a port.)
    const auto colon = rest.find(':');
    parts.address = rest.substr(0, colon);
    parts.port = rest.substr(colon + 1);
  } else {
    parts.address = rest;
  }
  const auto percent = parts.address.find('%');
  if (percent != std::string_view::npos) {
    parts.scope = parts.address.substr(percent + 1);
    parts.address = parts.address.substr(0, percent);
    if (parts.scope.empty()) bad(entry, "has an empty %scope", "write ff02::1%eth0, or leave out the '%'");
  }
  return parts;
}

IpAddress parse_address(const std::string& entry, std::string_view text) {
  auto addr = IpAddress::parse(text);
  if (!addr) bad(entry, "is not an IP address", "write an IPv4 (239.1.2.3) or IPv6 (ff15::1) address");
  return *addr;
}

}  // namespace

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  if (trim(text).empty()) return items;
  size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    const auto item =
        trim(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (item.empty())
      throw Error(ErrorKind::InvalidSetting, "'" + std::string(text) + "' has an empty entry",
                  "separate entries with single commas");
    items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return items;
}

std::vector<std::string> split_interface_list(std::string_view text) {
  auto items = split_list(text);
  for (size_t i = 1; i < items.size(); ++i)
    if (std::find(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(i), items[i]) !=
        items.begin() + static_cast<std::ptrdiff_t>(i))
      bad(items[i], "is named twice",
          "name each interface once (two networks are two different interfaces: eth1,eth2)");
  return items;
}

std::string GroupEntry::to_string() const {
  std::string text = address.to_string();
  if (!scope.empty()) text += "%" + scope;
  if (port) text = (address.is_v6() ? "[" + text + "]" : text) + ":" + std::to_string(*port);
  for (size_t i = 0; i < interfaces.size(); ++i) text += (i == 0 ? "@" : "+") + interfaces[i];
  return text;
}

GroupEntry parse_group_entry(const std::string& entry, const GroupListRules& rules) {
  // "group[:port]@a+b": the interfaces come last, after the one '@' (no address or port holds one).
  const auto at = entry.find('@');
  const std::string head = at == std::string::npos ? entry : entry.substr(0, at);
  const auto parts = split_entry(head);  // views into head
  GroupEntry group;
  if (at != std::string::npos) {
    if (!rules.allow_interfaces) bad(entry, "names interfaces, which this list does not take", "leave out the '@...'");
    std::string_view rest = std::string_view(entry).substr(at + 1);
    while (true) {
      const auto plus = rest.find('+');
      const auto spec = trim(rest.substr(0, plus));
      if (spec.empty() || spec.find('@') != std::string_view::npos)
        bad(entry, "has an empty or broken interface list after '@'",
            "write group@iface, or group@iface+iface for several (name, address or index, as in iface)");
      group.interfaces.emplace_back(spec);
      if (plus == std::string_view::npos) break;
      rest.remove_prefix(plus + 1);
    }
  }
  group.address = parse_address(entry, parts.address);
  if (!group.address.is_multicast())
    bad(entry, "is not a multicast address (" + std::string(multicast_range(group.address.family())) + ")",
        "use a multicast group such as 239.255.0.1 or ff15::1");
  if (parts.port) {
    if (!rules.allow_port) bad(entry, "has a port, which this list does not take", "set the port on its own");
    group.port = parse_port(entry, *parts.port);
  }
  if (!parts.scope.empty()) {
    if (group.address.is_v4()) bad(entry, "has a %scope, which only IPv6 addresses take", "name the interface instead");
    if (!rules.allow_scope)
      bad(entry, "has a %scope, which a destination does not take",
          "name the interface to send by with iface, or with @iface after the group");
    if (!group.interfaces.empty())
      bad(entry, "names its interface twice, with %scope and with '@'", "keep one: ff02::1@eth0 or ff02::1%eth0");
    group.scope = std::string(parts.scope);
  }
  return group;
}

std::vector<GroupEntry> parse_group_list(std::string_view text, const GroupListRules& rules) {
  std::vector<GroupEntry> groups;
  for (const auto& entry : split_list(text)) {
    GroupEntry group = parse_group_entry(entry, rules);
    if (rules.one_family && !groups.empty() && groups.front().address.family() != group.address.family())
      bad(entry,
          "is " + std::string(family_name(group.address.family())) + " but '" + groups.front().to_string() + "' is " +
              family_name(groups.front().address.family()),
          "list groups of one family only, and use a second element for the other family");
    const auto same = std::find(groups.begin(), groups.end(), group);
    if (same != groups.end())
      bad(entry,
          same->to_string() == group.to_string() && trim(entry) == same->to_string()
              ? std::string("is listed twice")
              : "is the same group as '" + same->to_string() + "', listed before it",
          "list each group once (the same group on two networks is two entries: group@eth1,group@eth2)");
    groups.push_back(std::move(group));
  }
  return groups;
}

std::vector<IpAddress> parse_source_list(std::string_view text) {
  std::vector<IpAddress> sources;
  for (const auto& entry : split_list(text)) {
    std::string_view addr_text(entry);
    if (addr_text.size() > 2 && addr_text.front() == '[' && addr_text.back() == ']')
      addr_text = addr_text.substr(1, addr_text.size() - 2);
    if (addr_text.find('%') != std::string_view::npos)
      bad(entry, "has a %scope; a source is matched by address alone", "leave out the %scope");
    const auto addr = parse_address(entry, addr_text);
    if (addr.is_multicast())
      bad(entry, "is a multicast address, not a sender's", "list the senders' unicast addresses");
    if (addr.is_unspecified()) bad(entry, "is the unspecified address, not a sender's", "list the senders' addresses");
    const auto same =
        std::find_if(sources.begin(), sources.end(), [&](const IpAddress& s) { return s.same_address(addr); });
    if (same != sources.end())
      bad(entry,
          addr.to_string() == same->to_string() && entry == same->to_string()
              ? std::string("is listed twice")
              : "is the same address as '" + same->to_string() + "', listed before it",
          "list each source once");
    sources.push_back(addr);
  }
  return sources;
}

std::optional<Family> common_family(const std::vector<GroupEntry>& groups) {
  if (groups.empty()) return std::nullopt;
  const Family f = groups.front().address.family();
  for (const auto& g : groups)
    if (g.address.family() != f) return std::nullopt;
  return f;
}

}  // namespace mcastexpert
