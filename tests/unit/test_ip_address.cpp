#include <gtest/gtest.h>

#include "ip_address.hpp"

using namespace mcastexpert;

static IpAddress ip(const char* text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

TEST(IpAddress, ParsesBothFamiliesAndPrintsCanonically) {
  EXPECT_EQ(ip("239.1.2.3").to_string(), "239.1.2.3");
  EXPECT_TRUE(ip("239.1.2.3").is_v4());
  EXPECT_EQ(ip("FF15:0:0::1").to_string(), "ff15::1");
  EXPECT_TRUE(ip("ff15::1").is_v6());
}

TEST(IpAddress, RejectsWhatIsNotAnAddress) {
  for (const char* bad :
       {"", "eth0", "239.1.2", "239.1.2.3.4", "10.1", "256.1.1.1", "ff15:::1", "[ff15::1]", "239.1.2.3:5"})
    EXPECT_FALSE(IpAddress::parse(bad).has_value()) << bad;
}

TEST(IpAddress, ClassifiesMulticast) {
  EXPECT_TRUE(ip("224.0.0.1").is_multicast());
  EXPECT_TRUE(ip("239.255.255.255").is_multicast());
  EXPECT_FALSE(ip("223.255.255.255").is_multicast());
  EXPECT_FALSE(ip("240.0.0.1").is_multicast());
  EXPECT_FALSE(ip("192.168.5.1").is_multicast());
  EXPECT_TRUE(ip("ff02::1").is_multicast());
  EXPECT_FALSE(ip("fe80::1").is_multicast());
}

TEST(IpAddress, ClassifiesSsmRanges) {
  EXPECT_TRUE(ip("232.1.1.1").is_ssm());
  EXPECT_FALSE(ip("233.1.1.1").is_ssm());
  EXPECT_TRUE(ip("ff3e::8000:1").is_ssm());
  EXPECT_TRUE(ip("ff35::1").is_ssm());
  EXPECT_FALSE(ip("ff3e:40:2001:db8::1").is_ssm());  // unicast-prefix based, not the SSM /96
  EXPECT_FALSE(ip("ff1e::1").is_ssm());
}

TEST(IpAddress, KnowsMulticastScopes) {
  EXPECT_EQ(ip("ff01::1").multicast_scope(), MulticastScope::InterfaceLocal);
  EXPECT_EQ(ip("ff02::1").multicast_scope(), MulticastScope::LinkLocal);
  EXPECT_EQ(ip("ff05::1").multicast_scope(), MulticastScope::SiteLocal);
  EXPECT_EQ(ip("ff08::1").multicast_scope(), MulticastScope::OrganizationLocal);
  EXPECT_EQ(ip("ff0e::1").multicast_scope(), MulticastScope::Global);
  EXPECT_EQ(ip("ff15::1").multicast_scope(), MulticastScope::SiteLocal);
  EXPECT_EQ(ip("224.0.0.251").multicast_scope(), MulticastScope::LinkLocal);
  EXPECT_EQ(ip("239.255.0.1").multicast_scope(), MulticastScope::SiteLocal);
  EXPECT_EQ(ip("239.1.1.1").multicast_scope(), MulticastScope::OrganizationLocal);
  EXPECT_EQ(ip("233.1.1.1").multicast_scope(), MulticastScope::Global);
  EXPECT_EQ(ip("10.0.0.1").multicast_scope(), MulticastScope::NotMulticast);
}

TEST(IpAddress, LinkLocalUnicastAndScopeIds) {
  EXPECT_TRUE(ip("fe80::1").is_link_local_unicast());
  EXPECT_TRUE(ip("169.254.3.4").is_link_local_unicast());
  EXPECT_FALSE(ip("fd00::1").is_link_local_unicast());
  const auto scoped = ip("fe80::1").with_scope_id(3);
  EXPECT_TRUE(scoped.same_address(ip("fe80::1")));
  EXPECT_NE(scoped, ip("fe80::1"));
  EXPECT_EQ(scoped.to_string(), "fe80::1");
}

TEST(IpAddress, RoundTripsThroughSockaddr) {
  sockaddr_storage ss{};
  const auto addr = ip("fe80::1").with_scope_id(7);
  addr.to_sockaddr(5004, ss);
  const auto back = IpAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, addr);
  EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port), 5004);
}
