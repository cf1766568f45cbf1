// SrcErrors: mcastexpertsrc in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B (with
// txb). Senders are plain sockets, so these tests prove the receiver alone.
#include "src_lab.hpp"

TEST(SrcErrors, PortInUseWithoutReuse) {
  const auto port = std::to_string(next_port());
  Pipeline first("mcastexpertsrc groups=239.1.1.1 iface=eth0 reuse=false port=" + port + " ! fakesink");
  ASSERT_TRUE(first.set_state("rx", GST_STATE_PLAYING));
  Pipeline second("mcastexpertsrc groups=239.1.1.2 iface=eth0 reuse=false port=" + port + " ! fakesink");
  EXPECT_FALSE(second.set_state("rx", GST_STATE_PLAYING));
  const std::string text = second.error_text();
  EXPECT_NE(text.find("Property 'port' (\"" + port + "\"): port " + port + " is in use"), std::string::npos) << text;
  EXPECT_NE(text.find("reuse=true"), std::string::npos) << text;
}

TEST(SrcErrors, ClampedBufferSizeWarnsNamingTheSysctl) {
  // More than net.core.rmem_max allows, asked by a thread without CAP_NET_ADMIN (so SO_RCVBUFFORCE fails).
  const int rmem_max = read_int_file("/proc/sys/net/core/rmem_max");
  ASSERT_GT(rmem_max, 0);
  const int asked = rmem_max < (1 << 29) ? rmem_max * 2 : (1 << 30);
  Pipeline p("mcastexpertsrc name=src groups=239.1.1.3 iface=eth0 buffer-size=" + std::to_string(asked) +
             " port=" + std::to_string(next_port()) + " ! fakesink");
  {
    WithoutNetAdmin plain_user;
    ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  }
  GstStructure* stats = nullptr;
  g_object_get(p.by_name("src"), "stats", &stats, nullptr);
  gint granted = 0;
  gst_structure_get_int(stats, "buffer-size", &granted);
  gst_structure_free(stats);
  EXPECT_EQ(granted, rmem_max);
  GstMessage* m = p.wait_for(GST_MESSAGE_WARNING, 1000ms);
  ASSERT_NE(m, nullptr);
  GError* err = nullptr;
  gst_message_parse_warning(m, &err, nullptr);
  const std::string text = err->message;
  EXPECT_NE(text.find("net.core.rmem_max"), std::string::npos) << text;
  EXPECT_NE(text.find(std::to_string(asked)), std::string::npos) << text;
  EXPECT_NE(text.find(std::to_string(rmem_max)), std::string::npos) << text;
  g_error_free(err);
  gst_message_unref(m);
}

TEST(SrcErrors, DefaultBufferSizeIsAskedQuietly) {
  // The default (sized for video) is a wish, not an order: a smaller grant is logged, not warned about.
  Pipeline p("mcastexpertsrc name=src groups=239.1.1.4 iface=eth0 port=" + std::to_string(next_port()) + " ! fakesink");
  {
    WithoutNetAdmin plain_user;
    ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  }
  EXPECT_EQ(p.wait_for(GST_MESSAGE_WARNING, 300ms), nullptr);
  GstStructure* stats = nullptr;
  g_object_get(p.by_name("src"), "stats", &stats, nullptr);
  gint granted = 0;
  gst_structure_get_int(stats, "buffer-size", &granted);
  gst_structure_free(stats);
  EXPECT_EQ(granted, std::min(8 * 1024 * 1024, read_int_file("/proc/sys/net/core/rmem_max")));
}

TEST(SrcErrors, MembershipLimitWithoutReuseNamesTheSysctl) {
  run_in("rx", "sysctl -qw net.ipv4.igmp_max_memberships=2");
  Pipeline p("mcastexpertsrc reuse=false groups=239.2.2.1,239.2.2.2,239.2.2.3 iface=eth0 port=" +
             std::to_string(next_port()) + " ! fakesink");
  const bool started = p.set_state("rx", GST_STATE_PLAYING);
  run_in("rx", "sysctl -qw net.ipv4.igmp_max_memberships=20");
  EXPECT_FALSE(started);
  const std::string text = p.error_text();
  EXPECT_NE(text.find("cannot join 239.2.2.3 on eth0"), std::string::npos) << text;
  EXPECT_NE(text.find("net.ipv4.igmp_max_memberships"), std::string::npos) << text;
  EXPECT_NE(text.find("reuse=true"), std::string::npos) << text;
}

TEST(SrcErrors, Ipv6DisabledOnTheInterfaceIsAnErrorNotASilentJoin) {
  run_in("rx", "sysctl -qw net.ipv6.conf.eth1.disable_ipv6=1");
  Pipeline p("mcastexpertsrc groups=ff15::45:1 iface=eth1 port=" + std::to_string(next_port()) + " ! fakesink");
  const bool started = p.set_state("rx", GST_STATE_PLAYING);
  const std::string text = p.error_text();
  run_in("rx", "sysctl -qw net.ipv6.conf.eth1.disable_ipv6=0 && ip -6 addr add fd77:2::1/64 dev eth1 nodad");
  EXPECT_FALSE(started);
  EXPECT_NE(text.find("Property 'iface' (\"eth1\"): IPv6 is disabled on eth1"), std::string::npos) << text;
  EXPECT_NE(text.find("sysctl -w net.ipv6.conf.eth1.disable_ipv6=0"), std::string::npos) << text;
}

TEST(SrcErrors, Ipv6DisabledOnTheHostSaysSoAndHowToEnableIt) {
  // net.ipv6.conf.all.disable_ipv6=1 takes IPv6 (and its addresses) off every interface.
  const auto port = std::to_string(next_port());
  run_in("rx", "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
  Pipeline named("mcastexpertsrc groups=ff15::45:2 iface=eth1 port=" + port + " ! fakesink");
  const bool named_started = named.set_state("rx", GST_STATE_PLAYING);
  const std::string named_text = named.error_text();
  named.set_state("rx", GST_STATE_NULL);
  Pipeline by_default("mcastexpertsrc groups=ff15::45:2 port=" + port + " ! fakesink");
  const bool default_started = by_default.set_state("rx", GST_STATE_PLAYING);
  const std::string default_text = by_default.error_text();
  by_default.set_state("rx", GST_STATE_NULL);
  run_in("rx",
         "sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 && "
         "ip -6 addr add fd77:1::1/64 dev eth0 nodad && ip -6 addr add fd77:2::1/64 dev eth1 nodad");
  EXPECT_FALSE(named_started);
  EXPECT_NE(named_text.find("IPv6 is disabled on eth1"), std::string::npos) << named_text;
  EXPECT_NE(named_text.find("sysctl -w net.ipv6.conf.all.disable_ipv6=0"), std::string::npos) << named_text;
  EXPECT_FALSE(default_started);
  EXPECT_NE(default_text.find("IPv6 is disabled on this host"), std::string::npos) << default_text;
  EXPECT_NE(default_text.find("sysctl -w net.ipv6.conf.all.disable_ipv6=0"), std::string::npos) << default_text;
  // IPv4 is untouched, and IPv6 works again once enabled.
  Harness rx("rx", src("groups=ff15::45:3 iface=eth0 port=" + port));
  ASSERT_TRUE(rx.play()) << rx.error();
  send_from_txa("ff15::45:3", static_cast<uint16_t>(std::stoi(port)), "back");
  EXPECT_EQ(rx.drain(), tags("back"));
}

int main(int argc, char** argv) {
  return run_src_lab(argc, argv);
}
