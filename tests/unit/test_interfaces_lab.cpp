// The interface table and route look-up against a real kernel, in the lab's multihomed topology (run by meson
// through tests/lab/lab).
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <sstream>

#include "error.hpp"
#include "interface_spec.hpp"
#include "lab.hpp"
#include "route_lookup.hpp"

using namespace mcastexpert;

namespace {

std::string run(const std::string& command) {
  std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(command.c_str(), "r"), &pclose);
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe.get())) > 0) out.append(buf, n);
  return out;
}

// "name index addr/prefix addr/prefix ..." per interface, as iproute2 reports them, sorted like our table.
std::string as_iproute_sees_it(const std::string& host) {
  const std::string links = run("ip -n " + host + " -o link show");
  std::ostringstream out;
  std::istringstream lines(links);
  std::string line;
  while (std::getline(lines, line)) {
    const auto colon = line.find(':');
    const std::string index = line.substr(0, colon);
    std::string name = line.substr(colon + 2, line.find(':', colon + 1) - colon - 2);
    name = name.substr(0, name.find('@'));
    out << name << " " << index;
    const std::string addrs = run("ip -n " + host + " -o addr show dev " + name + " | awk '{print $4}'");
    std::istringstream a(addrs);
    std::string each;
    while (a >> each) out << " " << each;
    out << "\n";
  }
  return out.str();
}

std::string as_we_see_it(const InterfaceTable& table) {
  std::ostringstream out;
  for (const auto& i : table.interfaces()) {
    out << i.name << " " << i.index;
    // iproute2 lists IPv4 addresses before IPv6 ones
    for (const Family f : {Family::V4, Family::V6})
      for (const auto& a : i.addresses)
        if (a.address.family() == f) out << " " << a.address.to_string() << "/" << a.prefix_length;
    out << "\n";
  }
  return out.str();
}

}  // namespace

TEST(InterfacesLab, EnumerationMatchesIproute) {
  const std::string expected = as_iproute_sees_it("rx");
  const lab::InHost in("rx");
  const auto table = InterfaceTable::from_system();
  EXPECT_EQ(as_we_see_it(table), expected);
  const auto* eth1 = table.by_name("eth1");
  ASSERT_NE(eth1, nullptr);
  EXPECT_EQ(eth1->index, lab::fact_index("RX_ETH1_INDEX"));
  EXPECT_TRUE(eth1->up && eth1->multicast && !eth1->loopback);
  EXPECT_EQ(eth1->mtu, 1500u);
  EXPECT_TRUE(table.by_name("lo")->loopback);
  // Every address with its scope, as `ip addr` reports them.
  const std::string scopes = run("ip -n rx -o addr show dev eth1 | awk '{print $4, $6}'");
  std::string ours;
  for (const Family f : {Family::V4, Family::V6})
    for (const auto& a : eth1->addresses)
      if (a.address.family() == f)
        ours += a.address.to_string() + "/" + std::to_string(a.prefix_length) + " " +
                (a.scope() == AddressScope::Host   ? "host"
                 : a.scope() == AddressScope::Link ? "link"
                                                   : "global") +
                "\n";
  EXPECT_EQ(ours, scopes);
}

TEST(InterfacesLab, LinkLocalIpv6ResolvesToItsInterface) {
  const lab::InHost in("rx");
  const auto table = InterfaceTable::from_system();
  const auto ll = lab::fact("RX_ETH1_IPV6LL");
  auto found = resolve_interfaces(table, ll, InterfaceRole::Send);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].name, "eth1");
  found = resolve_interfaces(table, ll + "%eth1", InterfaceRole::Send);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].index, lab::fact_index("RX_ETH1_INDEX"));
  EXPECT_THROW(resolve_interfaces(table, ll + "%eth0", InterfaceRole::Send), Error);
}

TEST(InterfacesLab, SendDefaultFollowsTheDefaultRoute) {
  const lab::InHost in("rx");
  for (const char* group : {"239.255.0.1", "ff15::1"}) {
    const auto route = lookup_route(*IpAddress::parse(group));
    ASSERT_TRUE(route.has_value()) << group;
    EXPECT_EQ(route->interface_index, lab::fact_index("RX_ETH0_INDEX")) << group;
  }
}

TEST(InterfacesLab, SendDefaultFollowsTheDefaultRouteNotTheFirstInterface) {
  // The kernel's per-interface ff00::/8 routes would answer "eth0" (created first) for any IPv6 group.
  const lab::InHost in("rx");
  ASSERT_EQ(std::system("ip route replace default dev eth1 && ip -6 route replace default dev eth1"), 0);
  const auto v4 = lookup_route(*IpAddress::parse("239.255.0.1"));
  const auto v6 = lookup_route(*IpAddress::parse("ff15::1"));
  ASSERT_EQ(std::system("ip route replace default dev eth0 && ip -6 route replace default dev eth0"), 0);
  ASSERT_TRUE(v4 && v6);
  EXPECT_EQ(v4->interface_index, lab::fact_index("RX_ETH1_INDEX"));
  EXPECT_EQ(v6->interface_index, lab::fact_index("RX_ETH1_INDEX"));
}

TEST(InterfacesLab, SendDefaultFollowsAMulticastRoute) {
  const lab::InHost in("rx");
  // IPv6 multicast routes live in the local table, where the kernel looks first.
  ASSERT_EQ(std::system("ip route add 239.255.7.0/24 dev eth1 && "
                        "ip -6 route add multicast ff15::7:0/112 dev eth1 table local"),
            0);
  const auto v4 = lookup_route(*IpAddress::parse("239.255.7.7"));
  const auto v6 = lookup_route(*IpAddress::parse("ff15::7:7"));
  const auto other = lookup_route(*IpAddress::parse("239.255.8.8"));
  ASSERT_EQ(
      std::system("ip route del 239.255.7.0/24 dev eth1; ip -6 route del multicast ff15::7:0/112 dev eth1 table local"),
      0);
  ASSERT_TRUE(v4 && v6 && other);
  EXPECT_EQ(v4->interface_index, lab::fact_index("RX_ETH1_INDEX"));
  EXPECT_EQ(v6->interface_index, lab::fact_index("RX_ETH1_INDEX"));
  EXPECT_EQ(other->interface_index, lab::fact_index("RX_ETH0_INDEX"));
}

TEST(InterfacesLab, NoRouteIsNoAnswer) {
  const lab::InHost in("txa");
  ASSERT_EQ(std::system("ip route del default && ip -6 route del default"), 0);
  const auto v4 = lookup_route(*IpAddress::parse("239.255.0.1"));
  const auto v6 = lookup_route(*IpAddress::parse("ff15::1"));
  ASSERT_EQ(std::system("ip route add default dev eth0; ip -6 route add default dev eth0"), 0);
  EXPECT_FALSE(v4.has_value());
  EXPECT_FALSE(v6.has_value());
}
