// Turning what a user typed for "iface" into exactly the interfaces they meant — or a clear error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "interface_table.hpp"

namespace mcastexpert {

// Receivers join on every interface an address names; senders refuse an address two interfaces share.
enum class InterfaceRole { Receive, Send };

// Resolves one specifier: a name (which wins over everything else, even when it looks like a number or an address),
// an IPv4 address, an IPv6 address with or without %scope (without: any scope matches), or an index in plain
// digits. Throws Error(NotFound) listing the interfaces that exist when nothing matches. Does not check state.
std::vector<const NetInterface*> resolve_interface_spec(const InterfaceTable& table, std::string_view spec,
                                                        InterfaceRole role);

// Resolves a comma-separated list in the order given, refusing an interface named twice (the same text, or two
// spellings of it: name and index, name and address), and checks each interface can carry
// multicast (up; MULTICAST flag, except loopback, where Linux delivers multicast without it). Throws
// Error(InvalidSetting / NotFound) naming the specifier and what to do. An empty list resolves to nothing.
std::vector<NetInterface> resolve_interfaces(const InterfaceTable& table, std::string_view spec_list,
                                             InterfaceRole role);

// Resolves the interfaces one list entry names after '@' (see GroupEntry::interfaces); an error names the entry.
std::vector<NetInterface> resolve_entry_interfaces(const InterfaceTable& table, const std::string& entry,
                                                   const std::vector<std::string>& specs, InterfaceRole role);

// The receive default: every interface that is up, multicast-capable, not loopback, and has an address of
// `family`. Throws Error(NotFound) when there is none.
std::vector<NetInterface> default_receive_interfaces(const InterfaceTable& table, Family family);

// Throws Error(InvalidSetting) if `iface` cannot carry multicast.
void check_multicast_capable(const NetInterface& iface, std::string_view spec);

}  // namespace mcastexpert
