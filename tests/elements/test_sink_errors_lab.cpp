// SinkErrors: mcastexpertsink in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B (with
// txb); rx's default route is eth0. Receivers are plain sockets (and mcastexpertsrc for the round trip).
#include "sink_lab.hpp"

TEST(SinkErrors, ClampedBufferSizeWarnsNamingTheSysctl) {
  const int wmem_max = read_int_file("/proc/sys/net/core/wmem_max");
  ASSERT_GT(wmem_max, 0);
  const int asked = wmem_max < (1 << 29) ? wmem_max * 2 : (1 << 30);
  std::unique_ptr<Harness> h;
  {
    WithoutNetAdmin plain_user;
    h = start_sink("rx", "groups=239.1.1.5 iface=eth0 buffer-size=" + std::to_string(asked));
  }
  GstStructure* stats = h->stats();
  gint granted = 0;
  gst_structure_get_int(stats, "buffer-size", &granted);
  gst_structure_free(stats);
  EXPECT_EQ(granted, wmem_max);
  const auto warnings = h->messages(GST_MESSAGE_WARNING);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("net.core.wmem_max"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find(std::to_string(asked)), std::string::npos) << warnings[0];
}

TEST(SinkErrors, UriValuesThatAreNotValuesAreRefused) {
  for (const char* bad :
       {"mcast://239.1.1.1?ttl=300", "mcast://239.1.1.1?ttl=", "mcast://239.1.1.1?ttl=abc", "mcast://239.1.1.1?loop=2",
        "mcast://239.1.1.1?qos-dscp=64", "mcast://10.1.1.1", "mcast://239.1.1.1?localaddr=10.0.0.1"}) {
    GError* err = nullptr;
    GstElement* e = gst_element_make_from_uri(GST_URI_SINK, bad, nullptr, &err);
    EXPECT_EQ(e, nullptr) << bad << " was taken";
    if (e != nullptr) gst_object_unref(e);
    ASSERT_NE(err, nullptr) << bad;
    EXPECT_NE(std::string(err->message).find("Fix:"), std::string::npos) << err->message;
    g_error_free(err);
  }
}

TEST(SinkErrors, NoRouteForTheDefault) {
  Pipeline p("fakesrc ! mcastexpertsink groups=239.1.1.1");
  run_in("txa", "ip route del default");
  const bool started = p.set_state("txa", GST_STATE_PLAYING);
  run_in("txa", "ip route add default dev eth0");
  EXPECT_FALSE(started);
  const std::string text = p.error_text();
  EXPECT_NE(text.find("no route for 239.1.1.1"), std::string::npos) << text;
  EXPECT_NE(text.find("name the interface (iface)"), std::string::npos) << text;
}

TEST(SinkErrors, Ipv6DisabledOnTheHostSaysSoAndHowToEnableIt) {
  // net.ipv6.conf.all.disable_ipv6=1 takes the IPv6 addresses and routes away: "no route" and "no address" say why.
  run_in("txa", "sysctl -qw net.ipv6.conf.all.disable_ipv6=1");
  Pipeline by_default("fakesrc ! mcastexpertsink groups=ff15::60:1");
  const bool default_started = by_default.set_state("txa", GST_STATE_PLAYING);
  const std::string default_text = by_default.error_text();
  by_default.set_state("txa", GST_STATE_NULL);
  Pipeline named("fakesrc ! mcastexpertsink groups=ff15::60:1 iface=eth0");
  const bool named_started = named.set_state("txa", GST_STATE_PLAYING);
  const std::string named_text = named.error_text();
  named.set_state("txa", GST_STATE_NULL);
  run_in("txa", "sysctl -qw net.ipv6.conf.all.disable_ipv6=0 && ip -6 addr add " + F("TXA_ETH0_IPV6") +
                    "/64 dev eth0 nodad && ip -6 route add default dev eth0");
  EXPECT_FALSE(default_started);
  EXPECT_NE(default_text.find("no route for ff15::60:1"), std::string::npos) << default_text;
  EXPECT_NE(default_text.find("IPv6 is disabled on this host: sysctl -w net.ipv6.conf.all.disable_ipv6=0"),
            std::string::npos)
      << default_text;
  EXPECT_FALSE(named_started);
  EXPECT_NE(named_text.find("interface eth0 has no IPv6 address to send from (IPv6 is disabled on eth0"),
            std::string::npos)
      << named_text;
  EXPECT_NE(named_text.find("net.ipv6.conf.all.disable_ipv6=0"), std::string::npos) << named_text;
}

int main(int argc, char** argv) {
  return run_sink_lab(argc, argv);
}
