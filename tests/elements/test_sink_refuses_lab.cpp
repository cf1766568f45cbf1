// SinkRefuses: mcastexpertsink in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B
// (with txb); rx's default route is eth0. Receivers are plain sockets (and mcastexpertsrc for the round trip).
#include "sink_lab.hpp"

// --- errors ---

struct BadInput {
  const char* props;
  const char* expected;
};

class SinkRefuses : public ::testing::TestWithParam<BadInput> {};

TEST_P(SinkRefuses, WithAClearError) {
  const auto& bad = GetParam();
  Pipeline p(std::string("fakesrc ! mcastexpertsink ") + bad.props);
  EXPECT_FALSE(p.set_state("rx", GST_STATE_PLAYING));
  const std::string text = p.error_text();
  EXPECT_NE(text.find(bad.expected), std::string::npos) << "error was: " << text;
  EXPECT_NE(text.find("Fix:"), std::string::npos) << "error was: " << text;
}

INSTANTIATE_TEST_SUITE_P(
    Errors, SinkRefuses,
    ::testing::Values(
        BadInput{"", "Property 'groups' (\"\"): no destination group"},
        BadInput{"groups=10.77.1.2", "'10.77.1.2' is not a multicast address"},
        BadInput{"groups=239.1.1.1,ff15::1", "'ff15::1' is IPv6 but '239.1.1.1' is IPv4"},
        BadInput{"groups=239.1.1.1:70000", "has port 70000, out of range"},
        BadInput{"groups=239.1.1.1 iface=eht1", "Property 'iface' (\"eht1\"): no interface matches 'eht1'"},
        BadInput{"groups=239.1.1.1 iface=down0", "interface 'down0' is down"},
        BadInput{"groups=239.1.1.1 iface=nomc0", "cannot carry multicast (no MULTICAST flag)"},
        BadInput{"groups=239.1.1.1 iface=10.77.9.9", "address '10.77.9.9' is on several interfaces (eth0, eth1)"},
        BadInput{"groups=ff15::1 iface=noaddr0", "interface noaddr0 has no IPv6 address to send from"},
        BadInput{"groups=ff02::1:3", "ff02::1:3 is a link-local group: the routing table cannot say which link"},
        BadInput{"groups=239.1.1.1%eth0", "has a %scope, which only IPv6 addresses take"},
        BadInput{"groups=239.1.1.1 iface=eth0 pacing=rate", "Property 'max-rate' (\"0\"): pacing=rate needs a rate"}));

int main(int argc, char** argv) {
  return run_sink_lab(argc, argv);
}
