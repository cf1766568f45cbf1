// Whether IPv6 is switched off (net.ipv6.conf.<iface>.disable_ipv6), and the command that switches it back on. The
// kernel then still accepts a join on the interface, and delivers nothing; it also takes the addresses and routes
// away, so "no address" and "no route" errors are clearer when they say why.
#pragma once

#include <string>

namespace mcastexpert {

// For an interface name, or "all" / "default" (in the calling thread's network namespace); false when unknown.
bool ipv6_disabled(const std::string& ifname);

// "sysctl -w net.ipv6.conf.eth1.disable_ipv6=0", or the host-wide switch when that is what took IPv6 away.
std::string ipv6_enable_command(const std::string& ifname);

// " (IPv6 is disabled on eth1: sysctl -w ...)" when it is, else "": for the end of an error message.
std::string ipv6_disabled_note(const std::string& ifname);

}  // namespace mcastexpert
