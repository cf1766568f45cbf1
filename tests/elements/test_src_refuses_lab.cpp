// SrcRefuses: mcastexpertsrc in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B (with
// txb). Senders are plain sockets, so these tests prove the receiver alone.
#include "src_lab.hpp"

// --- errors: each names the property, the value and the fix, and the element starts no stream ---

struct BadInput {
  const char* props;
  const char* expected;  // a part of the error text
};

class SrcRefuses : public ::testing::TestWithParam<BadInput> {};

TEST_P(SrcRefuses, WithAClearError) {
  const auto& bad = GetParam();
  Pipeline p(std::string("mcastexpertsrc ") + bad.props + " ! fakesink");
  EXPECT_FALSE(p.set_state("rx", GST_STATE_PLAYING));
  const std::string text = p.error_text();
  EXPECT_NE(text.find(bad.expected), std::string::npos) << "error was: " << text;
  EXPECT_NE(text.find("Fix:"), std::string::npos) << "error was: " << text;
}

INSTANTIATE_TEST_SUITE_P(
    Errors, SrcRefuses,
    ::testing::Values(
        BadInput{"", "Property 'groups' (\"\"): no multicast group to join"},
        BadInput{"groups=192.168.5.1", "'192.168.5.1' is not a multicast address (IPv4 multicast is 224.0.0.0/4)"},
        BadInput{"groups=239.1.1.1,ff15::1", "Property 'groups' was set to '239.1.1.1,ff15::1'"},
        BadInput{"groups=239.1.1.1 iface=eht0", "Property 'iface' (\"eht0\"): no interface matches 'eht0'"},
        BadInput{"groups=239.1.1.1 iface=10.9.9.9", "no interface matches '10.9.9.9' (no interface has that address)"},
        BadInput{"groups=239.1.1.1 iface=99", "no interface matches '99' (no interface has that index)"},
        BadInput{"groups=239.1.1.1 iface=down0", "interface 'down0' is down"},
        BadInput{"groups=239.1.1.1 iface=nomc0", "cannot carry multicast (no MULTICAST flag)"},
        BadInput{"groups=ff02::1:2", "ff02::1:2 is a link-local group, which means nothing without an interface"},
        BadInput{"groups=232.1.1.1 iface=eth0 sources=fd77:1::2",
                 "Property 'sources' (\"fd77:1::2\"): source fd77:1::2 is IPv6"},
        BadInput{"groups=232.1.1.1 iface=eth0 sources=239.1.1.1", "'239.1.1.1' is a multicast address"},
        BadInput{"groups=239.1.1.1 iface=eth0 sources=10.77.1.2 block-sources=10.77.1.3",
                 "both sources and block-sources are set"},
        BadInput{"uri=http://example", "Property 'uri' was set to 'http://example': has the scheme 'http://'"},
        BadInput{"uri=mcast://239.1.1.1?localaddr=10.77.1.1", "FFmpeg's udp:// 'localaddr' is 'iface' here"}));

int main(int argc, char** argv) {
  return run_src_lab(argc, argv);
}
