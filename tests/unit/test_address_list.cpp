#include <gtest/gtest.h>

#include "address_list.hpp"
#include "error.hpp"

using namespace mcastexpert;

// The message of the Error that `f` throws, or "" if it throws none.
template <typename F>
static std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.full();
  }
  return "";
}

TEST(GroupList, ParsesCommaSeparatedWithWhitespace) {
  const auto groups = parse_group_list("  239.1.2.3 ,239.1.2.4,\t239.1.2.5 ");
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].to_string(), "239.1.2.3");
  EXPECT_EQ(groups[2].to_string(), "239.1.2.5");
}

TEST(GroupList, EmptyTextIsAnEmptyList) {
  EXPECT_TRUE(parse_group_list("").empty());
  EXPECT_TRUE(parse_group_list("   ").empty());
}

TEST(GroupList, AcceptsBracketedIpv6AndPortsWhereAllowed) {
  const GroupListRules with_ports{true, true};
  const auto groups = parse_group_list("[ff15::1]:5004, ff15::2, [ff15::3]", with_ports);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].port, 5004);
  EXPECT_EQ(groups[0].to_string(), "[ff15::1]:5004");
  EXPECT_FALSE(groups[1].port.has_value());
  EXPECT_EQ(groups[2].to_string(), "ff15::3");
  const auto v4 = parse_group_list("239.1.2.3:6000", with_ports);
  EXPECT_EQ(v4.at(0).port, 6000);
}

TEST(GroupList, UnbracketedIpv6TailIsAnAddressNotAPort) {
  const auto groups = parse_group_list("ff15::1:5004", {true, true});
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_FALSE(groups[0].port.has_value());
  EXPECT_EQ(groups[0].address.to_string(), "ff15::1:5004");
}

TEST(GroupList, KeepsIpv6Scope) {
  const auto groups = parse_group_list("ff02::1%eth0, [ff02::2%3]:5000", {true, true});
  EXPECT_EQ(groups.at(0).scope, "eth0");
  EXPECT_EQ(groups.at(1).scope, "3");
  EXPECT_EQ(groups.at(1).to_string(), "[ff02::2%3]:5000");
}

TEST(GroupList, KeepsOrder) {
  const auto groups = parse_group_list("239.1.1.2, 239.1.1.1, ff15::1", {true, false});
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].to_string(), "239.1.1.2");
  EXPECT_EQ(groups[1].to_string(), "239.1.1.1");
}

TEST(GroupList, RefusesAGroupListedTwiceNamingItAndTheFix) {
  EXPECT_EQ(error_of([] { parse_group_list("239.1.1.2, 239.1.1.1, 239.1.1.2"); }),
            "'239.1.1.2' is listed twice. list each group once (the same group on two networks is two entries: "
            "group@eth1,group@eth2)");
  // The same group written two ways is one group, listed twice.
  EXPECT_NE(error_of([] {
              parse_group_list("ff15::1, FF15:0::1");
            }).find("'FF15:0::1' is the same group as 'ff15::1', listed before it"),
            std::string::npos);
  EXPECT_NE(
      error_of([] { parse_group_list("239.1.1.1@eth1, 239.1.1.1@eth1", kReceiverGroupRules); }).find("listed twice"),
      std::string::npos);
  // Another port, or another network, is another entry.
  EXPECT_EQ(parse_group_list("239.1.1.1:5000, 239.1.1.1:5002", kReceiverGroupRules).size(), 2u);
}

TEST(GroupList, RejectsUnicastNamingTheEntryAndTheRange) {
  EXPECT_EQ(error_of([] { parse_group_list("239.1.1.1, 192.168.5.1"); }),
            "'192.168.5.1' is not a multicast address (IPv4 multicast is 224.0.0.0/4). "
            "use a multicast group such as 239.255.0.1 or ff15::1");
  EXPECT_NE(error_of([] { parse_group_list("fd00::1"); }).find("IPv6 multicast is ff00::/8"), std::string::npos);
}

TEST(GroupList, RejectsWhatIsNotAnAddress) {
  EXPECT_NE(error_of([] { parse_group_list("239.1.1"); }).find("'239.1.1' is not an IP address"), std::string::npos);
  EXPECT_NE(error_of([] { parse_group_list("eth0"); }).find("'eth0' is not an IP address"), std::string::npos);
}

TEST(GroupList, RejectsMixedFamiliesWhenOneIsRequired) {
  EXPECT_EQ(error_of([] { parse_group_list("239.1.1.1, ff15::1"); }),
            "'ff15::1' is IPv6 but '239.1.1.1' is IPv4. "
            "list groups of one family only, and use a second element for the other family");
  EXPECT_EQ(parse_group_list("239.1.1.1, ff15::1", {false, false}).size(), 2u);
}

TEST(GroupList, RejectsBadPorts) {
  const GroupListRules with_ports{true, true};
  EXPECT_NE(error_of([&] { parse_group_list("239.1.2.3:70000", with_ports); }).find("has port 70000, out of range"),
            std::string::npos);
  EXPECT_NE(error_of([&] { parse_group_list("239.1.2.3:0", with_ports); }).find("out of range"), std::string::npos);
  EXPECT_NE(error_of([&] { parse_group_list("239.1.2.3:abc", with_ports); }).find("not a number"), std::string::npos);
  EXPECT_NE(error_of([] { parse_group_list("239.1.2.3:5004"); }).find("does not take"), std::string::npos);
  EXPECT_NE(error_of([&] { parse_group_list("[ff15::1", with_ports); }).find("without closing"), std::string::npos);
}

TEST(GroupList, RejectsEmptyEntriesAndScopesOnIpv4) {
  EXPECT_NE(error_of([] { parse_group_list("239.1.1.1,,239.1.1.2"); }).find("empty entry"), std::string::npos);
  EXPECT_NE(error_of([] { parse_group_list("239.1.1.1%eth0"); }).find("only IPv6"), std::string::npos);
  EXPECT_NE(error_of([] { parse_group_list("ff02::1%"); }).find("empty %scope"), std::string::npos);
}

TEST(SourceList, ParsesUnicastOnly) {
  const auto sources = parse_source_list("10.0.0.1, 10.0.0.2 ");
  ASSERT_EQ(sources.size(), 2u);
  EXPECT_EQ(sources[1].to_string(), "10.0.0.2");
  EXPECT_EQ(parse_source_list("[2001:db8::1], fe80::1").size(), 2u);
  EXPECT_NE(error_of([] { parse_source_list("239.1.1.1"); }).find("is a multicast address"), std::string::npos);
  EXPECT_NE(error_of([] { parse_source_list("0.0.0.0"); }).find("unspecified"), std::string::npos);
  EXPECT_NE(error_of([] { parse_source_list("host.example"); }).find("not an IP address"), std::string::npos);
}

TEST(SourceList, RefusesASourceListedTwice) {
  EXPECT_EQ(error_of([] { parse_source_list("10.0.0.1, 10.0.0.2 , 10.0.0.1"); }),
            "'10.0.0.1' is listed twice. list each source once");
  EXPECT_NE(error_of([] { parse_source_list("2001:db8::1, [2001:DB8:0::1]"); }).find("is the same address as"),
            std::string::npos);
}

TEST(InterfaceList, RefusesAnInterfaceWrittenTwice) {
  EXPECT_EQ(split_interface_list(" eth1, eth2 ").size(), 2u);
  EXPECT_EQ(error_of([] { split_interface_list("eth1, eth1"); }),
            "'eth1' is named twice. name each interface once (two networks are two different interfaces: eth1,eth2)");
}

TEST(GroupList, EntriesMayNameTheirOwnInterfacesAfterAt) {
  const auto groups = parse_group_list("239.1.1.1:5004@eth1, 239.2.2.2@eth2+10.0.0.1", kReceiverGroupRules);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].interfaces, std::vector<std::string>{"eth1"});
  EXPECT_EQ(groups[0].port, 5004);
  EXPECT_EQ(groups[1].interfaces, (std::vector<std::string>{"eth2", "10.0.0.1"}));
  EXPECT_FALSE(groups[1].port.has_value());
  const auto v6 = parse_group_list("[ff15::1]:6000@fe80::1%eth3", kReceiverGroupRules);
  EXPECT_EQ(v6.at(0).interfaces, std::vector<std::string>{"fe80::1%eth3"});
  EXPECT_EQ(v6.at(0).to_string(), "[ff15::1]:6000@fe80::1%eth3");
  EXPECT_EQ(groups[1].to_string(), "239.2.2.2@eth2+10.0.0.1");
  // The same group by two networks is two entries, not a duplicate.
  EXPECT_EQ(parse_group_list("239.1.1.1@eth1,239.1.1.1@eth2").size(), 2u);
}

TEST(GroupList, RefusesABrokenInterfaceList) {
  EXPECT_NE(error_of([] { parse_group_list("239.1.1.1@"); }).find("empty or broken interface list"), std::string::npos);
  EXPECT_NE(error_of([] { parse_group_list("239.1.1.1@eth1+"); }).find("empty or broken interface list"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_group_list("239.1.1.1@eth1@eth2"); }).find("empty or broken interface list"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_group_list("ff02::1%eth0@eth1"); }).find("names its interface twice"),
            std::string::npos);
  GroupListRules no_interfaces;
  no_interfaces.allow_interfaces = false;
  EXPECT_NE(error_of([&] { parse_group_list("239.1.1.1@eth1", no_interfaces); }).find("names interfaces"),
            std::string::npos);
}
