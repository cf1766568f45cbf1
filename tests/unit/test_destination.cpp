#include <gtest/gtest.h>

#include "destination.hpp"
#include "error.hpp"

using namespace mcastexpert;

namespace {

std::string refused(const std::string& group, long long port) {
  try {
    parse_destination(group, port);
  } catch (const Error& e) {
    return e.full();
  }
  return "";
}

}  // namespace

TEST(Destination, ParsesOneGroupAndAPort) {
  const auto d = parse_destination(" ff15::7 ", 5006);
  EXPECT_EQ(d.to_string(), "[ff15::7]:5006");
  EXPECT_EQ(parse_destination("239.1.2.3", 1).to_string(), "239.1.2.3:1");
}

TEST(Destination, RefusesWhatTheGroupListRefusesAndBadPorts) {
  EXPECT_NE(refused("10.1.2.3", 5004).find("'10.1.2.3' is not a multicast address"), std::string::npos);
  EXPECT_NE(refused("", 5004).find("no group given"), std::string::npos);
  EXPECT_NE(refused("239.1.2.3:5004", 5004).find("has a port"), std::string::npos);
  EXPECT_NE(refused("239.1.2.3,239.1.2.4", 5004).find("is a list"), std::string::npos);
  EXPECT_NE(refused("ff02::1%eth0", 5004).find("has a %scope"), std::string::npos);
  EXPECT_NE(refused("[ff15::1", 5004).find("without closing"), std::string::npos);
  EXPECT_NE(refused("239.1.2.3", 0).find("port 0 is out of range"), std::string::npos);
  EXPECT_NE(refused("239.1.2.3", 70000).find("port 70000 is out of range"), std::string::npos);
  EXPECT_NE(refused("239.1.2.3", 4294967298LL).find("out of range"), std::string::npos);
}

TEST(Destination, GroupListEntriesTakeTheDefaultPortAndDuplicatesGo) {
  const auto list =
      destinations_of(parse_group_list("239.1.1.1, 239.1.1.2:6000, 239.1.1.1:5004", kDestinationRules), 5004);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].to_string(), "239.1.1.1:5004");
  EXPECT_EQ(list[1].to_string(), "239.1.1.2:6000");
}

TEST(Destination, FamilyCheckNamesBoth) {
  EXPECT_NO_THROW(check_destination_family(parse_destination("239.1.1.1", 5004), Family::V4));
  try {
    check_destination_family(parse_destination("ff15::1", 5004), Family::V4);
    FAIL() << "accepted an IPv6 destination for an IPv4 sender";
  } catch (const Error& e) {
    EXPECT_NE(e.full().find("[ff15::1]:5004 is IPv6 but this sender sends IPv4"), std::string::npos) << e.full();
  }
}
