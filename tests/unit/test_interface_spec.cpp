#include <gtest/gtest.h>

#include "error.hpp"
#include "interface_spec.hpp"

using namespace mcastexpert;

namespace {

InterfaceAddress addr(const char* text, unsigned prefix, unsigned scope_id = 0) {
  return {IpAddress::parse(text).value().with_scope_id(scope_id), prefix};
}

NetInterface iface(const char* name, unsigned index, std::vector<InterfaceAddress> addresses, bool up = true,
                   bool multicast = true, bool loopback = false) {
  NetInterface i;
  i.name = name;
  i.index = index;
  i.up = up;
  i.multicast = multicast;
  i.loopback = loopback;
  i.addresses = std::move(addresses);
  return i;
}

// A machine with the awkward cases: an address on two interfaces, several addresses, none, names that look like
// numbers and addresses, an interface that is down, one without the MULTICAST flag.
InterfaceTable awkward_machine() {
  return InterfaceTable({
      iface("lo", 1, {addr("127.0.0.1", 8), addr("::1", 128)}, true, false, true),
      iface("eth0", 2, {addr("10.0.0.1", 24), addr("10.0.1.1", 24), addr("fd00::1", 64), addr("fe80::1", 64, 2)}),
      iface("eth1", 3, {addr("192.168.1.1", 24), addr("fe80::1", 64, 3)}),
      iface("vlan7", 4, {addr("192.168.1.1", 24)}),
      iface("bare", 5, {}),
      iface("2", 6, {addr("10.9.9.9", 24)}),
      iface("down0", 7, {addr("10.7.7.7", 24)}, false),
      iface("tun0", 8, {addr("10.8.8.8", 32)}, true, false),
      iface("10.0.0.1", 9, {}),
  });
}

std::vector<std::string> names(const std::vector<NetInterface>& list) {
  std::vector<std::string> out;
  for (const auto& i : list) out.push_back(i.name);
  return out;
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.full();
  }
  return "";
}

using Names = std::vector<std::string>;

}  // namespace

TEST(InterfaceSpec, ResolvesByName) {
  EXPECT_EQ(names(resolve_interfaces(awkward_machine(), "eth1", InterfaceRole::Receive)), Names{"eth1"});
}

TEST(InterfaceSpec, ResolvesByIpv4AddressAmongSeveral) {
  EXPECT_EQ(names(resolve_interfaces(awkward_machine(), "10.0.1.1", InterfaceRole::Send)), Names{"eth0"});
}

TEST(InterfaceSpec, ResolvesByIpv6AddressWithAndWithoutScope) {
  const auto table = awkward_machine();
  EXPECT_EQ(names(resolve_interfaces(table, "fd00::1", InterfaceRole::Send)), Names{"eth0"});
  EXPECT_EQ(names(resolve_interfaces(table, "fe80::1%eth1", InterfaceRole::Send)), Names{"eth1"});
  EXPECT_EQ(names(resolve_interfaces(table, "fe80::1%3", InterfaceRole::Send)), Names{"eth1"});
  // A scope is an interface specifier too: "%2" is the interface named "2", not index 2, and it lacks fe80::1.
  EXPECT_THROW(resolve_interfaces(table, "fe80::1%2", InterfaceRole::Send), Error);
  // Without a scope, a link-local address matches on every interface that has it.
  EXPECT_EQ(names(resolve_interfaces(table, "fe80::1", InterfaceRole::Receive)), (Names{"eth0", "eth1"}));
}

TEST(InterfaceSpec, ResolvesByIndex) {
  EXPECT_EQ(names(resolve_interfaces(awkward_machine(), "3", InterfaceRole::Receive)), Names{"eth1"});
}

TEST(InterfaceSpec, AnIndexPastTheRangeIsNoIndexNotAWrappedOne) {
  const auto table = awkward_machine();
  // 2^32 + 3 would be index 3 (eth1) cast down to 32 bits.
  EXPECT_NE(error_of([&] {
              resolve_interfaces(table, "4294967299", InterfaceRole::Receive);
            }).find("no interface matches '4294967299' (no interface has that index)"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              resolve_interfaces(table, "fe80::1%4294967299", InterfaceRole::Receive);
            }).find("(no interface '4294967299')"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] { resolve_interfaces(table, "0", InterfaceRole::Receive); }).find("no interface has that index"),
      std::string::npos);
}

TEST(InterfaceSpec, NamesWinOverIndexesAndAddresses) {
  const auto table = awkward_machine();
  // "2" is an interface's name: it beats index 2 (eth0).
  EXPECT_EQ(names(resolve_interfaces(table, "2", InterfaceRole::Receive)), Names{"2"});
  // "10.0.0.1" is a name too: it beats eth0's address.
  EXPECT_EQ(names(resolve_interfaces(table, "10.0.0.1", InterfaceRole::Receive)), Names{"10.0.0.1"});
}

TEST(InterfaceSpec, SharedAddressJoinsAllForReceiversAndIsAmbiguousForSenders) {
  const auto table = awkward_machine();
  EXPECT_EQ(names(resolve_interfaces(table, "192.168.1.1", InterfaceRole::Receive)), (Names{"eth1", "vlan7"}));
  EXPECT_EQ(error_of([&] { resolve_interfaces(table, "192.168.1.1", InterfaceRole::Send); }),
            "address '192.168.1.1' is on several interfaces (eth1, vlan7), so it does not say which one to send by. "
            "name the interface instead (one of eth1, vlan7)");
}

TEST(InterfaceSpec, InterfaceWithoutAddressesResolvesByNameAndIndex) {
  const auto table = awkward_machine();
  EXPECT_EQ(names(resolve_interfaces(table, "bare", InterfaceRole::Receive)), Names{"bare"});
  EXPECT_EQ(names(resolve_interfaces(table, "5", InterfaceRole::Receive)), Names{"bare"});
}

TEST(InterfaceSpec, ListsResolveInOrder) {
  const auto table = awkward_machine();
  EXPECT_EQ(names(resolve_interfaces(table, " eth1 , 10.0.1.1", InterfaceRole::Receive)), (Names{"eth1", "eth0"}));
  EXPECT_TRUE(resolve_interfaces(table, "", InterfaceRole::Receive).empty());
}

TEST(InterfaceSpec, AnInterfaceNamedTwiceIsRefusedEvenWhenSpelledTwoWays) {
  const auto table = awkward_machine();
  const std::string fix = "name each interface once; for two networks name two interfaces (interfaces here: ";
  EXPECT_EQ(error_of([&] { resolve_interfaces(table, "eth1,3", InterfaceRole::Receive); }),
            "'3' and 'eth1' both name interface eth1 (index 3). " + fix + table.names() + ")");
  EXPECT_NE(error_of([&] {
              resolve_interfaces(table, "eth0, 10.0.1.1", InterfaceRole::Send);
            }).find("'10.0.1.1' and 'eth0' both name interface eth0"),
            std::string::npos);
  EXPECT_NE(error_of([&] { resolve_interfaces(table, "eth0,fd00::1", InterfaceRole::Receive); }).find("both name"),
            std::string::npos);
  EXPECT_NE(error_of([&] { resolve_interfaces(table, "eth0 , eth0", InterfaceRole::Receive); }).find("named twice"),
            std::string::npos);
}

TEST(InterfaceSpec, UnknownSpecifierListsWhatExists) {
  const auto table = awkward_machine();
  const std::string exists =
      "name one of the interfaces here: lo (1), eth0 (2), eth1 (3), vlan7 (4), bare (5), 2 (6), down0 (7), "
      "tun0 (8), 10.0.0.1 (9)";
  EXPECT_EQ(error_of([&] { resolve_interfaces(table, "eht0", InterfaceRole::Receive); }),
            "no interface matches 'eht0' (not a name, address or index of any interface). " + exists);
  EXPECT_EQ(error_of([&] { resolve_interfaces(table, "10.1.1.1", InterfaceRole::Receive); }),
            "no interface matches '10.1.1.1' (no interface has that address). " + exists);
  EXPECT_EQ(error_of([&] { resolve_interfaces(table, "42", InterfaceRole::Receive); }),
            "no interface matches '42' (no interface has that index). " + exists);
  EXPECT_EQ(error_of([&] { resolve_interfaces(table, "fe80::1%eth9", InterfaceRole::Receive); }),
            "no interface matches 'fe80::1%eth9' (no interface 'eth9'). " + exists);
  EXPECT_NE(error_of([&] {
              resolve_interfaces(table, "fd00::1%eth1", InterfaceRole::Receive);
            }).find("no interface has that address"),
            std::string::npos);
  // Never silently "index 0".
  EXPECT_NE(
      error_of([&] { resolve_interfaces(table, "0", InterfaceRole::Receive); }).find("no interface has that index"),
      std::string::npos);
}

TEST(InterfaceSpec, RefusesDownAndNonMulticastInterfaces) {
  const auto table = awkward_machine();
  EXPECT_EQ(error_of([&] { resolve_interfaces(table, "down0", InterfaceRole::Receive); }),
            "interface 'down0' is down. bring it up (ip link set down0 up) or name another interface");
  EXPECT_EQ(error_of([&] { resolve_interfaces(table, "10.8.8.8", InterfaceRole::Send); }),
            "interface '10.8.8.8' (tun0) cannot carry multicast (no MULTICAST flag). "
            "enable it (ip link set tun0 multicast on) or name another interface");
  // Loopback has no MULTICAST flag, yet Linux carries multicast on it.
  EXPECT_EQ(names(resolve_interfaces(table, "lo", InterfaceRole::Send)), Names{"lo"});
}

TEST(InterfaceSpec, ReceiveDefaultIsUpMulticastNonLoopbackWithAnAddressOfTheFamily) {
  const auto table = awkward_machine();
  EXPECT_EQ(names(default_receive_interfaces(table, Family::V4)), (Names{"eth0", "eth1", "vlan7", "2"}));
  EXPECT_EQ(names(default_receive_interfaces(table, Family::V6)), (Names{"eth0", "eth1"}));
  const InterfaceTable only_lo({iface("lo", 1, {addr("127.0.0.1", 8)}, true, false, true)});
  EXPECT_NE(error_of([&] {
              default_receive_interfaces(only_lo, Family::V4);
            }).find("no interface is up, multicast-capable, not loopback and has an IPv4 address"),
            std::string::npos);
}

TEST(InterfaceSpec, SourceAddressFollowsTheGroupScope) {
  const auto table = awkward_machine();
  const auto* eth0 = table.by_name("eth0");
  EXPECT_EQ(eth0->source_address_for(*IpAddress::parse("239.1.1.1"))->to_string(), "10.0.0.1");
  EXPECT_EQ(eth0->source_address_for(*IpAddress::parse("ff02::1"))->to_string(), "fe80::1");
  EXPECT_EQ(eth0->source_address_for(*IpAddress::parse("ff02::1"))->scope_id(), 2u);
  EXPECT_EQ(eth0->source_address_for(*IpAddress::parse("ff15::1"))->to_string(), "fd00::1");
  // Only a link-local address: still usable for a wider group on that link.
  EXPECT_EQ(table.by_name("eth1")->source_address_for(*IpAddress::parse("ff15::1"))->to_string(), "fe80::1");
  EXPECT_FALSE(table.by_name("bare")->source_address_for(*IpAddress::parse("239.1.1.1")).has_value());
  EXPECT_FALSE(table.by_name("vlan7")->source_address_for(*IpAddress::parse("ff15::1")).has_value());
}
