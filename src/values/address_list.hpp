// Comma-separated lists of addresses as users type them into a property: multicast groups (optionally with a port
// and an IPv6 %scope) and unicast sources.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ip_address.hpp"

namespace mcastexpert {

// One entry of a group list.
struct GroupEntry {
  IpAddress address;
  std::optional<uint16_t> port;  // only where the caller allows ports
  std::string scope;             // "%eth1" → "eth1": the interface this (IPv6) group is bound to, as typed
  // "@eth1+eth2" → {"eth1", "eth2"}: the interfaces this entry (one leg of a redundant pair, say) is pinned to, as
  // typed (each an interface specifier); empty = the element's own interface setting.
  std::vector<std::string> interfaces;

  // "239.1.2.3", "239.1.2.3:5004", "ff02::1%eth0", "[ff15::1]:5004", "239.1.2.3:5004@eth1+eth2": the canonical
  // form of the entry.
  std::string to_string() const;
  friend bool operator==(const GroupEntry& a, const GroupEntry& b) {
    return a.address.same_address(b.address) && a.port == b.port && a.scope == b.scope && a.interfaces == b.interfaces;
  }
};

struct GroupListRules {
  bool allow_port = false;       // accept "group:port" / "[v6]:port"
  bool one_family = true;        // refuse a list that mixes IPv4 and IPv6
  bool allow_scope = true;       // accept an IPv6 "%scope" (a receiver's interface); a sender names interfaces apart
  bool allow_interfaces = true;  // accept "@iface+iface": interfaces of this entry's own
};

// What a receiver's group list takes: ports (a socket per port), an IPv6 %scope, and interfaces per entry.
inline constexpr GroupListRules kReceiverGroupRules{true, true, true, true};

// Parses one entry of a group list ("239.1.2.3", "[ff15::1]:5004", "ff02::1%eth0"): the one rule for what a group
// is, whoever asks (property setters, URIs, signals, start). Throws Error(InvalidSetting) naming the entry.
GroupEntry parse_group_entry(const std::string& entry, const GroupListRules& rules = {});

// Parses "239.1.2.3, ff15::1, [ff15::2]:5004, 239.1.2.4@eth1+eth2": whitespace around entries is ignored, order is
// kept. A group listed twice (or written two ways: ff15::1 and FF15:0::1) is an error: a user who typed it twice
// meant something else, two networks perhaps (group@eth1,group@eth2, which are two entries). Throws
// Error(InvalidSetting) naming the entry at fault. An empty text gives an empty list: whether that is allowed is the
// caller's call.
std::vector<GroupEntry> parse_group_list(std::string_view text, const GroupListRules& rules = {});

// Parses a list of unicast source addresses (for source-specific joins and exclude lists); same syntax without ports
// or scopes, order kept; an address listed twice is an error, as for groups.
std::vector<IpAddress> parse_source_list(std::string_view text);

// Splits "a, b ,c" into trimmed, non-empty items; an empty item between commas is an error naming the list.
std::vector<std::string> split_list(std::string_view text);

// Splits an interface list ("eth1, 10.0.0.1, 3") as split_list does, refusing an entry written twice. Two spellings
// of one interface (a name and its index) need the host's table: resolve_interfaces refuses those.
std::vector<std::string> split_interface_list(std::string_view text);

// The families present in a list, for "mixed families" checks.
std::optional<Family> common_family(const std::vector<GroupEntry>& groups);

}  // namespace mcastexpert
