// mcastexpertsrc in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B (with txb).
// Senders are plain sockets, so these tests prove the receiver alone.
#include <gst/net/gstnetaddressmeta.h>
#include <net/if.h>

#include <set>

#include "element_test.hpp"

using namespace et;

namespace {

// Sends `count` datagrams "tag-N" from txa (LAN A) to group:port.
void send_from_txa(const std::string& group, uint16_t port, const std::string& tag, int count = 3,
                   const std::string& source = "") {
  const bool v6 = is_v6(group);
  RawSender tx("txa", source.empty() ? F(v6 ? "TXA_ETH0_IPV6" : "TXA_ETH0_IPV4") : source, I("TXA_ETH0_INDEX"));
  for (int i = 0; i < count; ++i) tx.send(group, port, tag + "-" + std::to_string(i));
}

void send_from_txb(const std::string& group, uint16_t port, const std::string& tag, int count = 3) {
  const bool v6 = is_v6(group);
  RawSender tx("txb", F(v6 ? "TXB_ETH0_IPV6" : "TXB_ETH0_IPV4"), I("TXB_ETH0_INDEX"));
  for (int i = 0; i < count; ++i) tx.send(group, port, tag + "-" + std::to_string(i));
}

std::vector<std::string> tags(const std::string& tag, int count = 3) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(tag + "-" + std::to_string(i));
  return out;
}

std::string src(const std::string& props) {
  return "mcastexpertsrc " + props;
}

}  // namespace

TEST(Src, DeliversIpv4GroupFromAnotherHost) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.1.1 iface=eth0 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  send_from_txa("239.255.1.1", port, "v4");
  EXPECT_EQ(rx.drain(), tags("v4"));
  EXPECT_EQ(rx.stat("packets-received"), 3u);
}

TEST(Src, DeliversIpv6GroupFromAnotherHost) {
  const auto port = next_port();
  Harness rx("rx", src("groups=ff15::1:1 iface=eth0 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  send_from_txa("ff15::1:1", port, "v6");
  EXPECT_EQ(rx.drain(), tags("v6"));
}

TEST(Src, DeliversLinkScopeIpv6GroupOnTheNamedInterface) {
  const auto port = next_port();
  Harness rx("rx", src("groups=ff02::1:77%eth1 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  send_from_txb("ff02::1:77", port, "ll");
  send_from_txa("ff02::1:77", port, "wrong-lan");
  EXPECT_EQ(rx.drain(), tags("ll"));
}

TEST(Src, DefaultJoinsEveryMulticastInterface) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.1.2 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  send_from_txa("239.255.1.2", port, "a", 1);
  send_from_txb("239.255.1.2", port, "b", 1);
  auto got = rx.drain();
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"a-0", "b-0"}));
}

TEST(Src, TwoReceiversOnOnePortEachGetOnlyTheirGroup) {
  const auto port = next_port();
  Harness one("rx", src("groups=239.255.2.1 iface=eth0 port=" + std::to_string(port)));
  Harness two("rx", src("groups=239.255.2.2 iface=eth0 port=" + std::to_string(port)));
  ASSERT_TRUE(one.play()) << one.error();
  ASSERT_TRUE(two.play()) << two.error();
  // Several flows (source ports): SO_REUSEPORT would hash them across the two sockets.
  for (uint16_t sp = 7000; sp < 7008; ++sp) {
    RawSender tx("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"), sp);
    tx.send("239.255.2.1", port, "one");
    tx.send("239.255.2.2", port, "two");
  }
  const auto got_one = one.drain();
  const auto got_two = two.drain();
  EXPECT_EQ(got_one, std::vector<std::string>(8, "one"));
  EXPECT_EQ(got_two, std::vector<std::string>(8, "two"));
}

TEST(Src, RightGroupOnAnInterfaceItDidNotNameIsDropped) {
  for (const std::string group : {"239.255.3.1", "ff15::3:1"}) {
    const auto port = next_port();
    Harness pinned("rx", src("groups=" + group + " iface=eth0 port=" + std::to_string(port)));
    // Another receiver joins the group on eth1, so the host does take it in there.
    Harness other("rx", src("groups=" + group + " iface=eth1 port=" + std::to_string(port)));
    ASSERT_TRUE(pinned.play()) << pinned.error();
    ASSERT_TRUE(other.play()) << other.error();
    send_from_txb(group, port, "lan-b");
    send_from_txa(group, port, "lan-a");
    EXPECT_EQ(pinned.drain(), tags("lan-a")) << group;
    EXPECT_EQ(other.drain(), tags("lan-b")) << group;
  }
}

TEST(Src, UnicastToThePortIsDroppedAndCounted) {
  for (const bool v6 : {false, true}) {
    const auto port = next_port();
    const std::string group = v6 ? "ff15::4:1" : "239.255.4.1";
    Harness rx("rx", src("groups=" + group + " iface=eth0 port=" + std::to_string(port)));
    ASSERT_TRUE(rx.play()) << rx.error();
    {
      RawSender tx("txa", F(v6 ? "TXA_ETH0_IPV6" : "TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"));
      tx.send(F(v6 ? "RX_ETH0_IPV6" : "RX_ETH0_IPV4"), port, "unicast");
    }
    send_from_txa(group, port, "mc", 1);
    EXPECT_EQ(rx.drain(), tags("mc", 1));
    EXPECT_EQ(rx.stat("rejected-unicast"), 1u);
    EXPECT_EQ(rx.stat("packets-rejected"), 1u);
  }
}

class SecondAddress {
 public:
  SecondAddress() {
    run_in("txa", "ip addr add 10.77.1.12/24 dev eth0 && ip -6 addr add fd77:1::12/64 dev eth0 nodad");
  }
  ~SecondAddress() {
    try {
      run_in("txa", "ip addr del 10.77.1.12/24 dev eth0; ip -6 addr del fd77:1::12/64 dev eth0");
    } catch (...) {
    }
  }
};

TEST(Src, SourceSpecificJoinDeliversOnlyTheListedSender) {
  SecondAddress second;
  for (const bool v6 : {false, true}) {
    const auto port = next_port();
    const std::string group = v6 ? "ff35::8000:1" : "232.1.1.1";
    const std::string allowed = F(v6 ? "TXA_ETH0_IPV6" : "TXA_ETH0_IPV4");
    const std::string other = v6 ? "fd77:1::12" : "10.77.1.12";
    Harness rx("rx", src("groups=" + group + " iface=eth0 sources=" + allowed + " port=" + std::to_string(port)));
    ASSERT_TRUE(rx.play()) << rx.error();
    send_from_txa(group, port, "other", 3, other);
    send_from_txa(group, port, "allowed", 3, allowed);
    EXPECT_EQ(rx.drain(), tags("allowed")) << group;
  }
}

TEST(Src, BlockSourcesExcludesThatSender) {
  SecondAddress second;
  for (const bool v6 : {false, true}) {
    const auto port = next_port();
    const std::string group = v6 ? "ff15::5:1" : "239.255.5.1";
    const std::string blocked = v6 ? "fd77:1::12" : "10.77.1.12";
    Harness rx("rx", src("groups=" + group + " iface=eth0 block-sources=" + blocked + " port=" + std::to_string(port)));
    ASSERT_TRUE(rx.play()) << rx.error();
    send_from_txa(group, port, "blocked", 3, blocked);
    send_from_txa(group, port, "welcome", 3);
    EXPECT_EQ(rx.drain(), tags("welcome")) << group;
  }
}

TEST(Src, BuffersCarrySenderAddressGroupAndInterface) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.6.1,239.255.6.2 iface=eth0,eth1 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  send_from_txb("239.255.6.2", port, "b", 1);
  GstBuffer* buf = rx.pull();
  ASSERT_NE(buf, nullptr);
  GstNetAddressMeta* addr = gst_buffer_get_net_address_meta(buf);
  ASSERT_NE(addr, nullptr);
  GInetAddress* ia = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(addr->addr));
  gchar* ia_text = g_inet_address_to_string(ia);
  EXPECT_EQ(std::string(ia_text), F("TXB_ETH0_IPV4"));
  g_free(ia_text);
  GstCustomMeta* meta = gst_buffer_get_custom_meta(buf, "McastExpertReceiveMeta");
  ASSERT_NE(meta, nullptr);
  const GstStructure* s = gst_custom_meta_get_structure(meta);
  EXPECT_STREQ(gst_structure_get_string(s, "group"), "239.255.6.2");
  EXPECT_STREQ(gst_structure_get_string(s, "ifname"), "eth1");
  guint ifindex = 0, meta_port = 0;
  gst_structure_get_uint(s, "ifindex", &ifindex);
  gst_structure_get_uint(s, "port", &meta_port);
  EXPECT_EQ(ifindex, I("RX_ETH1_INDEX"));
  EXPECT_EQ(meta_port, port);
  EXPECT_TRUE(GST_BUFFER_PTS_IS_VALID(buf));
  gst_buffer_unref(buf);

  GstStructure* stats = rx.stats();
  const GValue* groups = gst_structure_get_value(stats, "groups");
  ASSERT_EQ(gst_value_array_get_size(groups), 2u);
  const GstStructure* second = gst_value_get_structure(gst_value_array_get_value(groups, 1));
  guint64 packets = 0;
  gst_structure_get_uint64(second, "packets", &packets);
  EXPECT_STREQ(gst_structure_get_string(second, "group"), "239.255.6.2");
  EXPECT_EQ(packets, 1u);
  gst_structure_free(stats);
}

TEST(Src, CapsPropertyIsWhatTheSrcPadCarries) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.6.4 iface=eth0 port=" + std::to_string(port) +
                       " caps=application/x-rtp,media=audio,clock-rate=44100,encoding-name=L16"));
  ASSERT_TRUE(rx.play()) << rx.error();
  send_from_txa("239.255.6.4", port, "rtp", 1);
  GstBuffer* buf = rx.pull();
  ASSERT_NE(buf, nullptr);
  gst_buffer_unref(buf);
  GstCaps* caps = gst_pad_get_current_caps(rx.get()->sinkpad);
  ASSERT_NE(caps, nullptr);
  GstCaps* want = gst_caps_from_string("application/x-rtp,media=audio,clock-rate=44100,encoding-name=L16");
  EXPECT_TRUE(gst_caps_is_equal(caps, want)) << gst_caps_to_string(caps);
  gst_caps_unref(want);
  gst_caps_unref(caps);
}

TEST(Src, NoSenderAddressMetaWhenNotWanted) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.6.3 iface=eth0 retrieve-sender-address=false port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  send_from_txa("239.255.6.3", port, "x", 1);
  GstBuffer* buf = rx.pull();
  ASSERT_NE(buf, nullptr);
  EXPECT_EQ(gst_buffer_get_net_address_meta(buf), nullptr);
  gst_buffer_unref(buf);
}

TEST(Src, EmptyDatagramsAreDroppedAndCounted) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.1.1.1 iface=eth0 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  RawSender tx("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"));
  tx.send("239.1.1.1", port, "before");
  tx.send("239.1.1.1", port, "");
  tx.send("239.1.1.1", port, "after");
  EXPECT_EQ(rx.drain(), (std::vector<std::string>{"before", "after"}));
  EXPECT_EQ(rx.stat("rejected-empty"), 1u);
  EXPECT_EQ(rx.stat("packets-rejected"), 1u);
  EXPECT_EQ(rx.stat("packets-received"), 2u);
}

TEST(Src, LargestDatagramsArriveWhole) {
  for (const bool v6 : {false, true}) {
    const auto port = next_port();
    const std::string group = v6 ? "ff15::7:1" : "239.255.7.1";
    Harness rx("rx", src("groups=" + group + " iface=eth0 port=" + std::to_string(port)));
    ASSERT_TRUE(rx.play()) << rx.error();
    std::string big(v6 ? 65527 : 65507, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + 3);
    RawSender tx("txa", F(v6 ? "TXA_ETH0_IPV6" : "TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"));
    tx.send(group, port, big);
    tx.send(group, port, "small");
    const auto got = rx.drain();
    ASSERT_EQ(got.size(), 2u) << group;
    EXPECT_TRUE(got[0] == big) << "datagram of " << big.size() << " bytes came out as " << got[0].size();
    EXPECT_EQ(got[1], "small");
  }
}

TEST(Src, SkipFirstBytesStripsAHeader) {
  const auto port = next_port();
  // batch-size=2: buffers come back to the pool and go out again within the test, their start moved each time.
  Harness rx("rx", src("groups=239.255.7.2 iface=eth0 skip-first-bytes=4 batch-size=2 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  RawSender tx("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"));
  std::vector<std::string> want, got;
  for (int i = 0; i < 12; ++i) {
    tx.send("239.255.7.2", port, "HDR:payload-" + std::to_string(i));
    want.push_back("payload-" + std::to_string(i));
    if (i % 3 == 2)  // read (and released) before the next ones arrive
      for (auto& p : rx.drain(100ms)) got.push_back(p);
  }
  EXPECT_EQ(got, want);
}

TEST(Src, PostsTimeoutMessageWhenNothingArrives) {
  Pipeline p("mcastexpertsrc name=src groups=239.255.8.1 iface=eth0 port=" + std::to_string(next_port()) +
             " timeout=200000000 ! fakesink");
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  GstMessage* m = p.wait_for(GST_MESSAGE_ELEMENT, 3000ms);
  ASSERT_NE(m, nullptr);
  const GstStructure* s = gst_message_get_structure(m);
  EXPECT_TRUE(gst_structure_has_name(s, "GstUDPSrcTimeout"));
  guint64 timeout = 0;
  EXPECT_TRUE(gst_structure_get_uint64(s, "timeout", &timeout));
  EXPECT_EQ(timeout, 200000000u);
  gst_message_unref(m);
}

static void on_notify(GObject*, GParamSpec*, gpointer data) {
  ++*static_cast<int*>(data);
}

TEST(Src, PortZeroPicksAFreePortReadableInReady) {
  GstElement* e = gst_element_factory_make("mcastexpertsrc", nullptr);
  g_object_set(e, "groups", "239.255.9.1", "iface", "eth0", "port", 0, nullptr);
  int notified = 0;
  g_signal_connect(e, "notify::port", G_CALLBACK(on_notify), &notified);
  {
    lab::InHost in("rx");
    ASSERT_EQ(gst_element_set_state(e, GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
  }
  gint port = 0;
  g_object_get(e, "port", &port, nullptr);
  EXPECT_GT(port, 0);
  EXPECT_EQ(notified, 1);
  gst_element_set_state(e, GST_STATE_NULL);
  gst_object_unref(e);
}

TEST(Src, LoopOffDropsThisHostsOwnDatagramsLoopOnKeepsThem) {
  for (const bool loop : {false, true}) {
    const auto port = next_port();
    Harness rx("rx", src("groups=239.255.10.1 iface=eth0 port=" + std::to_string(port) +
                         (loop ? " loop=true" : " loop=false")));
    ASSERT_TRUE(rx.play()) << rx.error();
    {
      RawSender self_tx("rx", F("RX_ETH0_IPV4"), I("RX_ETH0_INDEX"));  // kernel loop is on by default
      self_tx.send("239.255.10.1", port, "mine");
    }
    send_from_txa("239.255.10.1", port, "theirs", 1);
    const auto got = rx.drain();
    if (loop)
      EXPECT_EQ(got, (std::vector<std::string>{"mine", "theirs-0"}));
    else
      EXPECT_EQ(got, (std::vector<std::string>{"theirs-0"}));
  }
}

TEST(Src, BurstArrivesAsBufferListsInOrder) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.11.1 iface=eth0 batch-size=16 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  send_from_txa("239.255.11.1", port, "p", 200);
  EXPECT_EQ(rx.drain(), tags("p", 200));
}

// Buffers go back to the source's pool and out again with the next datagrams; what a downstream element keeps or
// adds must not leak from one datagram to another.
TEST(Src, ACopyHeldDownstreamKeepsItsBytesWhileReadingGoesOn) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.11.3 iface=eth0 batch-size=4 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  send_from_txa("239.255.11.3", port, "first", 1);
  GstBuffer* buf = rx.pull();
  ASSERT_NE(buf, nullptr);
  GstBuffer* copy = gst_buffer_copy(buf);  // shares buf's memory, as a shallow copy does
  gst_buffer_unref(buf);                   // back to the pool while the copy still reads that memory
  send_from_txa("239.255.11.3", port, "later", 40);
  EXPECT_EQ(rx.drain(), tags("later", 40));
  GstMapInfo map;
  ASSERT_TRUE(gst_buffer_map(copy, &map, GST_MAP_READ));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(map.data), map.size), "first-0");
  gst_buffer_unmap(copy, &map);
  gst_buffer_unref(copy);
}

TEST(Src, MetasAddedDownstreamDoNotComeBackOnLaterDatagrams) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.11.4 iface=eth0 batch-size=4 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  GstCaps* reference = gst_caps_new_empty_simple("timestamp/x-test");
  send_from_txa("239.255.11.4", port, "first", 4);
  for (int i = 0; i < 4; ++i) {
    GstBuffer* buf = rx.pull();
    ASSERT_NE(buf, nullptr);
    gst_buffer_add_reference_timestamp_meta(buf, reference, 42, GST_CLOCK_TIME_NONE);
    gst_buffer_set_size(buf, 2);  // and shrunk, as a downstream element may
    gst_buffer_unref(buf);
  }
  send_from_txa("239.255.11.4", port, "later", 20);
  for (int i = 0; i < 20; ++i) {
    GstBuffer* buf = rx.pull();
    ASSERT_NE(buf, nullptr);
    EXPECT_EQ(gst_buffer_get_reference_timestamp_meta(buf, reference), nullptr);
    EXPECT_EQ(gst_buffer_get_size(buf), std::string("later-" + std::to_string(i)).size());
    EXPECT_NE(gst_buffer_get_custom_meta(buf, "McastExpertReceiveMeta"), nullptr);
    gst_buffer_unref(buf);
  }
  gst_caps_unref(reference);
}

TEST(Src, BuffersHeldPastStopStayValidAndAreFreedLater) {
  const auto port = next_port();
  std::vector<GstBuffer*> held;
  {
    Harness rx("rx", src("groups=239.255.11.6 iface=eth0 batch-size=4 port=" + std::to_string(port)));
    ASSERT_TRUE(rx.play()) << rx.error();
    send_from_txa("239.255.11.6", port, "kept", 6);
    for (int i = 0; i < 6; ++i) {
      GstBuffer* buf = rx.pull();
      ASSERT_NE(buf, nullptr);
      held.push_back(buf);
    }
    ASSERT_EQ(gst_element_set_state(rx.element(), GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  }  // the element, and its pool, are gone; the application still holds its buffers
  for (size_t i = 0; i < held.size(); ++i) {
    EXPECT_EQ(buffer_bytes(held[i]), "kept-" + std::to_string(i));
    gst_buffer_unref(held[i]);  // back to a pool that has stopped: freed, not reused
  }
}

TEST(Src, KernelDropsAreCountedWhenTheReaderFallsBehind) {
  const auto port = next_port();
  // A small receive queue and a slow consumer: most of a burst cannot be queued.
  Pipeline p("mcastexpertsrc name=src groups=239.255.11.5 iface=eth0 buffer-size=4096 port=" + std::to_string(port) +
             " ! identity sleep-time=2000 ! fakesink name=sink sync=false");
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  constexpr int kSent = 300;
  send_from_txa("239.255.11.5", port, "burst", kSent);
  guint64 rendered = 0, dropped = 0;
  for (int i = 0; i < 100 && rendered + dropped < kSent; ++i) {
    std::this_thread::sleep_for(50ms);
    GstStructure* stats = nullptr;
    g_object_get(p.by_name("sink"), "stats", &stats, nullptr);
    gst_structure_get_uint64(stats, "rendered", &rendered);
    gst_structure_free(stats);
    g_object_get(p.by_name("src"), "stats", &stats, nullptr);
    gst_structure_get_uint64(stats, "packets-dropped-kernel", &dropped);
    gst_structure_free(stats);
  }
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(rendered + dropped, static_cast<guint64>(kSent)) << rendered << " rendered, " << dropped << " dropped";
}

TEST(Src, NumBuffersIsExactEvenWhenDatagramsArriveInBursts) {
  const auto port = next_port();
  Pipeline p("mcastexpertsrc groups=239.255.11.2 iface=eth0 num-buffers=10 port=" + std::to_string(port) +
             " ! fakesink name=sink sync=false");
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  send_from_txa("239.255.11.2", port, "burst", 50);  // queued together: one read would return them all
  GstMessage* eos = p.wait_for(GST_MESSAGE_EOS, 3000ms);
  ASSERT_NE(eos, nullptr);
  gst_message_unref(eos);
  guint64 rendered = 0;
  GstStructure* stats = nullptr;
  g_object_get(p.by_name("sink"), "stats", &stats, nullptr);
  gst_structure_get_uint64(stats, "rendered", &rendered);
  gst_structure_free(stats);
  EXPECT_EQ(rendered, 10u);
}

TEST(Src, UnlockWakesABlockedReadAtOnce) {
  Pipeline p("mcastexpertsrc groups=239.255.12.1 iface=eth0 port=" + std::to_string(next_port()) + " ! fakesink");
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(p.set_state("rx", GST_STATE_NULL));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms);
}

TEST(Src, RepeatedStateChangesLeakNoDescriptors) {
  const std::string props = "groups=239.255.13.1,239.255.13.2 iface=eth0,eth1 port=" + std::to_string(next_port());
  Pipeline p("mcastexpertsrc " + props + " ! fakesink");
  expect_state_cycles_leak_no_descriptors(p, "rx", true);
}

TEST(SrcLifetime, ReadyPausedFlipsLeaveNothingBehind) {
  // 1,000 flips (10,000 with --long) of a source with SSM joins on two interfaces.
  const std::string props =
      "groups=232.1.13.1 sources=10.77.1.2,10.77.2.2 iface=eth0,eth1 port=" + std::to_string(next_port());
  Pipeline p("mcastexpertsrc " + props + " ! fakesink");
  const std::string at_start = memberships_of("rx");
  ASSERT_TRUE(p.set_state("rx", GST_STATE_READY));
  EXPECT_NE(memberships_of("rx"), at_start) << "joined in READY";
  expect_cycles_leave_nothing_behind(p, "rx", lifetime_rounds(1000, 10000), GST_STATE_READY, GST_STATE_PAUSED, false);
  ASSERT_TRUE(p.set_state("rx", GST_STATE_NULL));
  EXPECT_EQ(memberships_of("rx"), at_start) << "left at NULL";
}

TEST(SrcLifetime, SinkToSrcPipelineCyclesLeaveNothingBehind) {
  // A sender and a receiver in one pipeline on one host (loop on), cycled with data flowing.
  const std::string where = "groups=239.255.13.9 iface=eth0 loop=true port=" + std::to_string(next_port());
  Pipeline p("audiotestsrc is-live=true samplesperbuffer=441 ! rtpL16pay ! mcastexpertsink " + where +
             " mcastexpertsrc " + where + " ! fakesink");
  expect_state_cycles_leak_no_descriptors(p, "rx", true);
}

TEST(Src, UriSetsGroupsPortAndKeys) {
  GstElement* e = gst_element_make_from_uri(GST_URI_SRC, "mcast://239.255.14.1:6500?iface=eth1&sources=10.77.2.2",
                                            nullptr, nullptr);
  ASSERT_NE(e, nullptr);
  EXPECT_STREQ(G_OBJECT_TYPE_NAME(e), "GstMcastExpertSrc");
  gchar *groups = nullptr, *iface = nullptr, *sources = nullptr;
  gint port = 0;
  g_object_get(e, "groups", &groups, "iface", &iface, "sources", &sources, "port", &port, nullptr);
  EXPECT_STREQ(groups, "239.255.14.1");
  EXPECT_STREQ(iface, "eth1");
  EXPECT_STREQ(sources, "10.77.2.2");
  EXPECT_EQ(port, 6500);
  gchar* uri = gst_uri_handler_get_uri(GST_URI_HANDLER(e));
  EXPECT_STREQ(uri, "mcast://239.255.14.1:6500?iface=eth1&sources=10.77.2.2");
  g_free(uri);
  g_free(groups);
  g_free(iface);
  g_free(sources);
  GError* err = nullptr;
  EXPECT_FALSE(gst_uri_handler_set_uri(GST_URI_HANDLER(e), "mcast://239.255.14.1?colour=blue", &err));
  ASSERT_NE(err, nullptr);
  EXPECT_NE(std::string(err->message).find("unknown key 'colour'"), std::string::npos);
  g_error_free(err);
  gst_object_unref(e);

  GstElement* v6 = gst_element_make_from_uri(GST_URI_SRC, "mcast://[ff15::14:1]:6501", nullptr, nullptr);
  ASSERT_NE(v6, nullptr);
  g_object_get(v6, "groups", &groups, nullptr);
  EXPECT_STREQ(groups, "ff15::14:1");
  g_free(groups);
  gst_object_unref(v6);
}

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

// --- preserve-packetization=false ---

// Sends from txa while `rx` is only READY (socket open and joined, nothing read yet), so that one read finds all.
static void queue_for(Harness& rx, const std::function<void()>& send) {
  {
    lab::InHost in("rx");
    ASSERT_NE(gst_element_set_state(rx.element(), GST_STATE_READY), GST_STATE_CHANGE_FAILURE) << rx.error();
  }
  send();
  ASSERT_TRUE(rx.play()) << rx.error();
}

static std::vector<GstBuffer*> pull_all(Harness& rx) {
  std::vector<GstBuffer*> out;
  while (GstBuffer* b = rx.pull(500ms)) out.push_back(b);
  return out;
}

static std::string meta_group(GstBuffer* b) {
  GstCustomMeta* meta = gst_buffer_get_custom_meta(b, "McastExpertReceiveMeta");
  return meta != nullptr ? gst_structure_get_string(gst_custom_meta_get_structure(meta), "group") : "";
}

TEST(SrcPacked, DatagramsArriveWholeAndInOrderInFewerBuffers) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.71.1 iface=eth0 preserve-packetization=false port=" + std::to_string(port)));
  std::string sent;
  queue_for(rx, [&] {
    RawSender tx("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"));
    for (int i = 0; i < 60; ++i) {
      std::string d(1316, static_cast<char>('A' + i % 26));
      std::memcpy(d.data(), &i, sizeof i);
      tx.send("239.255.71.1", port, d);
      sent += d;
    }
  });
  const auto buffers = pull_all(rx);
  std::string got;
  for (GstBuffer* b : buffers) {
    EXPECT_LE(gst_buffer_get_size(b), 65536u);
    EXPECT_EQ(meta_group(b), "239.255.71.1");
    EXPECT_TRUE(GST_BUFFER_PTS_IS_VALID(b));
    got += buffer_bytes(b);
    gst_buffer_unref(b);
  }
  EXPECT_EQ(got.size(), sent.size());
  EXPECT_TRUE(got == sent) << "the bytes changed or came out of order";
  // 60 × 1,316 bytes in one read: 49 fit in 64 KiB, the other 11 in a second buffer.
  EXPECT_EQ(buffers.size(), 2u);
  EXPECT_EQ(rx.stat("packets-received"), 60u);
}

TEST(SrcPacked, AChangeOfSenderOrGroupStartsANewBuffer) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.71.2,239.255.71.3 iface=eth0,eth1 preserve-packetization=false "
                       "retrieve-sender-address=true port=" +
                       std::to_string(port)));
  queue_for(rx, [&] {
    RawSender a("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"));
    RawSender b("txb", F("TXB_ETH0_IPV4"), I("TXB_ETH0_INDEX"));
    for (int i = 0; i < 5; ++i) a.send("239.255.71.2", port, "a2-" + std::to_string(i));
    for (int i = 0; i < 5; ++i) a.send("239.255.71.3", port, "a3-" + std::to_string(i));
    std::this_thread::sleep_for(20ms);  // LAN B's datagrams after LAN A's, in the socket's queue
    for (int i = 0; i < 5; ++i) b.send("239.255.71.2", port, "b2-" + std::to_string(i));
  });
  const auto buffers = pull_all(rx);
  ASSERT_EQ(buffers.size(), 3u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"239.255.71.2", "a2-"}, {"239.255.71.3", "a3-"}, {"239.255.71.2", "b2-"}};
  for (size_t i = 0; i < 3; ++i) {
    std::string want;
    for (int k = 0; k < 5; ++k) want += expected[i].second + std::to_string(k);
    EXPECT_EQ(buffer_bytes(buffers[i]), want);
    EXPECT_EQ(meta_group(buffers[i]), expected[i].first);
    GstNetAddressMeta* addr = gst_buffer_get_net_address_meta(buffers[i]);
    ASSERT_NE(addr, nullptr);
    gchar* text = g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(addr->addr)));
    EXPECT_EQ(std::string(text), F(i == 2 ? "TXB_ETH0_IPV4" : "TXA_ETH0_IPV4"));
    g_free(text);
    gst_buffer_unref(buffers[i]);
  }
}

static GstPadProbeReturn count_buffers(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* seen = static_cast<std::pair<std::atomic<size_t>, std::atomic<size_t>>*>(data);
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER) {
    seen->first++;
    const size_t size = gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info));
    if (size > seen->second) seen->second = size;
  }
  return GST_PAD_PROBE_OK;
}

// MPEG-TS from mpegtsmux (Opus inside), received packed, demuxed and decoded.
TEST(SrcPacked, TsdemuxDecodesAStreamReceivedPacked) {
  if (gst_element_factory_find("tsdemux") == nullptr || gst_element_factory_find("mpegtsmux") == nullptr)
    GTEST_FAIL() << "tsdemux and mpegtsmux (gstreamer1.0-plugins-bad) are needed: scripts/test installs them";
  const auto port = next_port();
  const std::string where = "groups=239.255.71.4 port=" + std::to_string(port) + " iface=eth0";
  Pipeline receiver("mcastexpertsrc name=src preserve-packetization=false " + where +
                    " caps=\"video/mpegts,systemstream=(boolean)true,packetsize=(int)188\" ! tsdemux ! opusparse ! "
                    "opusdec ! fakesink name=out sync=false");
  std::pair<std::atomic<size_t>, std::atomic<size_t>> packets{0, 0}, decoded{0, 0};
  GstPad* src_pad = gst_element_get_static_pad(receiver.by_name("src"), "src");
  GstPad* out_pad = gst_element_get_static_pad(receiver.by_name("out"), "sink");
  gst_pad_add_probe(src_pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffers, &packets, nullptr);
  gst_pad_add_probe(out_pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffers, &decoded, nullptr);
  gst_object_unref(src_pad);
  gst_object_unref(out_pad);
  // Joined (PAUSED: a live source reads nothing yet) while the whole stream is sent, then read in full batches.
  ASSERT_TRUE(receiver.set_state("rx", GST_STATE_PAUSED));
  {
    Pipeline sender(
        "audiotestsrc num-buffers=100 ! audio/x-raw,rate=48000,channels=2 ! opusenc ! mpegtsmux "
        "alignment=7 ! mcastexpertsink sync=false " +
        where);
    ASSERT_TRUE(sender.set_state("txa", GST_STATE_PLAYING));
    GstMessage* m = sender.wait_for(static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR), 10000ms);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(GST_MESSAGE_TYPE(m), GST_MESSAGE_EOS);
    gst_message_unref(m);
  }
  ASSERT_TRUE(receiver.set_state("rx", GST_STATE_PLAYING));
  const auto end = std::chrono::steady_clock::now() + 5s;
  while (decoded.first < 95 && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(10ms);
  EXPECT_GE(decoded.first.load(), 95u) << "Opus frames decoded out of 100 sent";
  EXPECT_GT(packets.second.load(), 1316u) << "no buffer held more than one datagram: nothing was packed";
  EXPECT_LT(packets.first.load(), 100u) << "one buffer per datagram: nothing was packed";
}

// --- following interfaces that change while PLAYING ---

// Sends `payload` from txa by `ifname` every 50 ms until `rx` delivers it; how long that took (or 5 s: never).
static std::chrono::milliseconds time_to_deliver(Harness& rx, const std::string& group, uint16_t port,
                                                 const std::string& source, const std::string& ifname,
                                                 const std::string& payload) {
  const auto start = std::chrono::steady_clock::now();
  RawSender tx("txa", source, index_in("txa", ifname));
  while (std::chrono::steady_clock::now() - start < 5s) {
    tx.send(group, port, payload);
    if (GstBuffer* b = rx.pull(50ms)) {
      const bool it = buffer_bytes(b) == payload;
      gst_buffer_unref(b);
      if (it) break;
    }
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

TEST(SrcFollows, AnInterfaceDeletedAndMadeAgainIsJoinedAgainByName) {
  HotLink hot0("hot0", 62);
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.72.1 iface=hot0 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  EXPECT_LT(time_to_deliver(rx, "239.255.72.1", port, hot0.far(), hot0.peer(), "before"), 1000ms);
  const unsigned old_index = index_in("rx", "hot0");
  hot0.remove();
  std::vector<std::string> warnings;
  EXPECT_TRUE(wait_for_message(rx, GST_MESSAGE_WARNING, "Interface hot0 is gone", warnings)) << warnings.size();
  hot0.make();
  const auto recreated = std::chrono::steady_clock::now();
  EXPECT_NE(index_in("rx", "hot0"), old_index) << "the test meant a new index";
  // Reported as an element message (the info message says the same in words: see the tests below).
  bool message = false;
  const auto end = std::chrono::steady_clock::now() + 2s;
  while (!message && std::chrono::steady_clock::now() < end) {
    for (GstStructure* m : rx.element_messages("McastExpertInterface")) {
      if (std::string(gst_structure_get_string(m, "change")) == "recreated" &&
          std::string(gst_structure_get_string(m, "iface")) == "hot0")
        message = true;
      gst_structure_free(m);
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(message) << "no McastExpertInterface message saying hot0 was recreated";
  const auto delivered = time_to_deliver(rx, "239.255.72.1", port, hot0.far(), hot0.peer(), "after");
  EXPECT_LT(std::chrono::steady_clock::now() - recreated, 1500ms)
      << "datagrams flowed again only after " << delivered.count() << " ms of sending";
  EXPECT_LT(delivered, 1000ms);
}

TEST(SrcFollows, LinkDownWarnsAndBackUpInformsAndDelivers) {
  HotLink hot1("hot1", 63);
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.72.2 iface=hot1 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  EXPECT_LT(time_to_deliver(rx, "239.255.72.2", port, hot1.far(), hot1.peer(), "before"), 1000ms);
  std::vector<std::string> warnings, infos;
  run_in("rx", "ip link set hot1 down");
  EXPECT_TRUE(wait_for_message(rx, GST_MESSAGE_WARNING, "Interface hot1 is down", warnings));
  run_in("rx", "ip link set hot1 up");
  EXPECT_TRUE(wait_for_message(rx, GST_MESSAGE_INFO, "Interface hot1 is up", infos));
  EXPECT_LT(time_to_deliver(rx, "239.255.72.2", port, hot1.far(), hot1.peer(), "after"), 1000ms);
}

TEST(SrcFollows, TheDefaultJoinsAnInterfaceThatAppearsAndDropsOneThatGoes) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.72.3 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  HotLink hot2("hot2", 64);
  std::vector<std::string> infos;
  EXPECT_TRUE(wait_for_message(rx, GST_MESSAGE_INFO, "Interface hot2 is joined", infos));
  EXPECT_LT(time_to_deliver(rx, "239.255.72.3", port, hot2.far(), hot2.peer(), "by hot2"), 1000ms);
  auto legs_on = [&](const std::string& ifname) {
    GstStructure* stats = rx.stats();
    const GValue* legs = gst_structure_get_value(stats, "legs");
    guint index = 0;
    bool found = false;
    for (guint i = 0; i < gst_value_array_get_size(legs); ++i) {
      const GstStructure* leg = gst_value_get_structure(gst_value_array_get_value(legs, i));
      if (ifname == gst_structure_get_string(leg, "iface")) {
        found = true;
        gst_structure_get_uint(leg, "ifindex", &index);
      }
    }
    gst_structure_free(stats);
    return found ? static_cast<int>(index) : -1;
  };
  EXPECT_EQ(legs_on("hot2"), static_cast<int>(index_in("rx", "hot2"))) << "stats do not show the new leg";
  hot2.remove();
  EXPECT_TRUE(wait_for_message(rx, GST_MESSAGE_INFO, "Interface hot2 is dropped", infos));
  EXPECT_EQ(legs_on("hot2"), 0) << "a dropped leg reads index 0";
  // The others still deliver.
  send_from_txa("239.255.72.3", port, "still", 1);
  EXPECT_EQ(rx.drain(), tags("still", 1));
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new et::GstEnvironment);
  // Interfaces for the error cases: one down, one without the MULTICAST flag.
  lab::InHost in("rx");
  // (veth, since a user namespace cannot load the dummy module)
  if (std::system("ip link add down0 type veth peer name down0p && ip link add nomc0 type veth peer name nomc0p && "
                  "ip link set nomc0 multicast off && ip link set nomc0 up") != 0)
    return 1;
  return RUN_ALL_TESTS();
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

TEST(Src, MoreGroupsThanOneSocketMayJoinAreSpreadOverSockets) {
  // 100 groups, five times the kernel's default limit per socket (20): every one joined, every datagram once.
  const auto port = next_port();
  std::string groups;
  for (int g = 0; g < 100; ++g) groups += (g ? "," : "") + std::string("239.255.44.") + std::to_string(g + 1);
  Harness rx("rx", src("groups=" + groups + " iface=eth0 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  RawSender tx("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"));
  std::multiset<std::string> want;
  for (int g = 0; g < 100; ++g) {
    const std::string payload = "g" + std::to_string(g + 1);
    tx.send("239.255.44." + std::to_string(g + 1), port, payload);
    want.insert(payload);
  }
  const auto got = rx.drain();
  EXPECT_EQ(std::multiset<std::string>(got.begin(), got.end()), want);
  EXPECT_EQ(rx.stat("packets-rejected"), 0u);
}

TEST(Src, MoreSourcesThanOneSocketMayFilterAreSpreadOverSockets) {
  // 200 sources, 20 times igmp_max_msf (10) and 3 times mld_max_msf (64): every one joined, a listed sender far
  // down the list delivered once, an unlisted one not at all.
  run_in("txa",
         "ip addr add 10.77.1.150/24 dev eth0 && ip addr add 10.77.1.199/24 dev eth0 && "
         "ip -6 addr add fd77:1::150/64 dev eth0 nodad && ip -6 addr add fd77:1::199/64 dev eth0 nodad");
  SecondAddress unlisted;  // 10.77.1.12, fd77:1::12
  for (const bool v6 : {false, true}) {
    const auto port = next_port();
    const std::string group = v6 ? "ff35::8000:77" : "232.1.7.7";
    const std::string lan = v6 ? "fd77:1::" : "10.77.1.";
    std::string sources = F(v6 ? "TXA_ETH0_IPV6" : "TXA_ETH0_IPV4");
    for (int k = 1; k < 200; ++k) {
      const bool real = k == 150 || k == 199;  // addresses txa has; the rest are senders that never send
      sources += "," + (real ? lan + std::to_string(k) : (v6 ? "fd77:99::" : "10.77.99.") + std::to_string(k));
    }
    Harness rx("rx", src("groups=" + group + " iface=eth0 sources=" + sources + " port=" + std::to_string(port)));
    ASSERT_TRUE(rx.play()) << rx.error();
    send_from_txa(group, port, "first", 2);
    send_from_txa(group, port, "deep", 2, lan + "150");
    send_from_txa(group, port, "last", 2, lan + "199");
    send_from_txa(group, port, "unlisted", 2, lan + "12");
    const auto got = rx.drain();
    EXPECT_EQ(std::multiset<std::string>(got.begin(), got.end()),
              (std::multiset<std::string>{"first-0", "first-1", "deep-0", "deep-1", "last-0", "last-1"}))
        << group;
  }
  run_in("txa",
         "ip addr del 10.77.1.150/24 dev eth0; ip addr del 10.77.1.199/24 dev eth0; "
         "ip -6 addr del fd77:1::150/64 dev eth0; ip -6 addr del fd77:1::199/64 dev eth0");
}

TEST(SrcFlood, ForeignTrafficAtFullRateIsNeverDeliveredAndTheElementStopsAtOnce) {
  // While a real SSM stream flows, four senders blast as fast as they can: unicast to the port, another group on
  // the port, the group from a source not listed, the group on the interface not named.
  SecondAddress unlisted;  // txa also has 10.77.1.12
  const auto port = next_port();
  Harness rx("rx", src("groups=232.1.9.9 sources=" + F("TXA_ETH0_IPV4") + " iface=eth0 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> unicast_sent{0};
  std::vector<std::thread> floods;
  auto flood = [&](const std::string& host, const std::string& from, unsigned ifindex, const std::string& to,
                   const std::string& payload, std::atomic<uint64_t>* sent) {
    floods.emplace_back([=, &stop] {
      RawSender tx(host, from, ifindex);
      while (!stop.load()) {
        // Counted before the send (and taken back if it fails): the receiver may count a datagram before this
        // thread runs again, and a count read at any moment must not be below what has reached the element.
        if (sent != nullptr) ++*sent;
        try {
          tx.send(to, port, payload);
        } catch (const std::exception&) {
          if (sent != nullptr) --*sent;  // a full queue (ENOBUFS): the flood goes on
        }
      }
    });
  };
  flood("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"), F("RX_ETH0_IPV4"), "FOREIGN-unicast", &unicast_sent);
  flood("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"), "232.1.9.10", "FOREIGN-other-group", nullptr);
  flood("txa", "10.77.1.12", I("TXA_ETH0_INDEX"), "232.1.9.9", "FOREIGN-unlisted-source", nullptr);
  flood("txb", F("TXB_ETH0_IPV4"), I("TXB_ETH0_INDEX"), "232.1.9.9", "FOREIGN-other-interface", nullptr);
  // Oversize foreign datagrams take the element's large-datagram path; empty ones come from the listed source.
  flood("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"), F("RX_ETH0_IPV4"), "FOREIGN-oversize" + std::string(65000, 'x'),
        &unicast_sent);
  std::atomic<uint64_t> empty_sent{0};
  flood("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"), "232.1.9.9", "", &empty_sent);

  RawSender real("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"));
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    real.send("232.1.9.9", port, "real-" + std::to_string(i));
    if (i % 20 == 0) std::this_thread::sleep_for(1ms);
  }
  real.send("232.1.9.9", port, std::string(65507, 'R'));  // the largest datagram, from the listed source
  const auto got = rx.drain(500ms);
  size_t real_got = 0, largest = 0;
  for (const auto& payload : got) {
    EXPECT_EQ(payload.rfind("FOREIGN", 0), std::string::npos) << "delivered: " << payload.substr(0, 40);
    EXPECT_FALSE(payload.empty()) << "an empty datagram was delivered";
    if (payload.rfind("real-", 0) == 0) ++real_got;
    if (payload.size() == 65507) ++largest;
  }
  EXPECT_GT(real_got, 0u);
  // What the stream lost, it lost in the kernel's queue (counted), not in the element.
  const uint64_t kernel_drops = rx.stat("packets-dropped-kernel");
  EXPECT_GE(real_got + 1 + kernel_drops, static_cast<uint64_t>(n)) << real_got << " of " << n;
  if (kernel_drops == 0) {
    EXPECT_EQ(largest, 1u) << "the largest datagram, whole";
  }
  EXPECT_GT(rx.stat("rejected-unicast"), 0u) << unicast_sent.load() << " unicast sent";
  EXPECT_LE(rx.stat("rejected-unicast"), unicast_sent.load());
  EXPECT_GT(rx.stat("rejected-empty"), 0u) << empty_sent.load() << " empty sent";
  EXPECT_LE(rx.stat("rejected-empty"), empty_sent.load());
  std::printf(
      "flood: %zu of %d real datagrams delivered, %llu dropped in the kernel's queue, %llu unicast sent, %llu "
      "counted rejected-unicast, %llu empty sent, %llu counted rejected-empty, 0 foreign delivered\n",
      real_got, n, static_cast<unsigned long long>(kernel_drops), static_cast<unsigned long long>(unicast_sent.load()),
      static_cast<unsigned long long>(rx.stat("rejected-unicast")), static_cast<unsigned long long>(empty_sent.load()),
      static_cast<unsigned long long>(rx.stat("rejected-empty")));
  // Stopping under the flood: at once.
  const auto t0 = std::chrono::steady_clock::now();
  gst_element_set_state(rx.element(), GST_STATE_NULL);
  const auto took = std::chrono::steady_clock::now() - t0;
  stop = true;
  for (auto& t : floods) t.join();
  EXPECT_LT(took, 1s) << "NULL took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

static long rss_kib() {
  long kib = 0;
  if (FILE* f = fopen("/proc/self/status", "r")) {
    char line[256];
    while (fgets(line, sizeof line, f) != nullptr)
      if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
    fclose(f);
  }
  return kib;
}

TEST(Src, RepeatedStateChangesDoNotGrowMemory) {
  const std::string props = "groups=239.255.13.3 iface=eth0 port=" + std::to_string(next_port());
  Pipeline p("mcastexpertsrc " + props + " ! fakesink");
  for (int i = 0; i < 50; ++i) {  // warm up: pools, registry, allocator arenas
    ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
    ASSERT_TRUE(p.set_state("rx", GST_STATE_NULL));
  }
  const long before = rss_kib();
  for (int i = 0; i < lifetime_rounds(200, 1000); ++i) {
    ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
    ASSERT_TRUE(p.set_state("rx", GST_STATE_NULL));
  }
  // Each round maps an 8 MiB-capable socket, a pool and 4 MiB of overflow scratch: a leak would show in megabytes
  // (200 rounds: gigabytes). Under AddressSanitizer freed memory waits in its quarantine before reuse: up to
  // quarantine_size_mb more (scripts/test --sanitize sets 16).
  long allowed = 1024;
#if defined(__SANITIZE_ADDRESS__)
  const char* options = std::getenv("ASAN_OPTIONS");
  const char* q = options != nullptr ? std::strstr(options, "quarantine_size_mb=") : nullptr;
  allowed += 1024 * (q != nullptr ? std::atol(q + std::strlen("quarantine_size_mb=")) : 256);
#endif
  EXPECT_LT(rss_kib() - before, allowed) << "RSS grew from " << before << " KiB";
}

// --- what can change while PLAYING, and what cannot ---

TEST(SrcLive, SkipFirstBytesChangedWhilePlayingAppliesToTheNextDatagram) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.40.1 iface=eth0 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  RawSender tx("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"));
  tx.send("239.255.40.1", port, "HDR:before");
  EXPECT_EQ(rx.drain(), std::vector<std::string>{"HDR:before"});
  g_object_set(rx.element(), "skip-first-bytes", 4, nullptr);
  tx.send("239.255.40.1", port, "HDR:after");
  EXPECT_EQ(rx.drain(), std::vector<std::string>{"after"});
  g_object_set(rx.element(), "skip-first-bytes", 0, nullptr);
  tx.send("239.255.40.1", port, "HDR:again");
  EXPECT_EQ(rx.drain(), std::vector<std::string>{"HDR:again"});
}

TEST(SrcLive, SenderAddressMetaFollowsTheSettingWhilePlaying) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.40.2 iface=eth0 batch-size=1 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  RawSender tx("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"));
  auto has_sender_meta = [&](const char* payload) {
    tx.send("239.255.40.2", port, payload);
    GstBuffer* buf = rx.pull();
    if (buf == nullptr) throw std::runtime_error(std::string("nothing arrived for ") + payload);
    const bool has = gst_buffer_get_net_address_meta(buf) != nullptr;
    gst_buffer_unref(buf);  // back to the pool, to be reused for the next datagram
    return has;
  };
  EXPECT_TRUE(has_sender_meta("on"));
  g_object_set(rx.element(), "retrieve-sender-address", FALSE, nullptr);
  EXPECT_FALSE(has_sender_meta("off"));
  EXPECT_FALSE(has_sender_meta("still-off"));
  g_object_set(rx.element(), "retrieve-sender-address", TRUE, nullptr);
  EXPECT_TRUE(has_sender_meta("on-again"));
}

TEST(SrcLive, TimeoutSetWhilePlayingAppliesToTheWaitUnderWay) {
  Pipeline p("mcastexpertsrc name=src groups=239.255.40.3 iface=eth0 port=" + std::to_string(next_port()) +
             " ! fakesink");
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  EXPECT_EQ(p.wait_for(GST_MESSAGE_ELEMENT, 300ms), nullptr);  // timeout=0: none
  g_object_set(p.by_name("src"), "timeout", G_GUINT64_CONSTANT(150000000), nullptr);
  GstMessage* m = p.wait_for(GST_MESSAGE_ELEMENT, 3000ms);
  ASSERT_NE(m, nullptr) << "the new timeout never fired: the wait under way kept the old one";
  guint64 timeout = 0;
  gst_structure_get_uint64(gst_message_get_structure(m), "timeout", &timeout);
  EXPECT_EQ(timeout, 150000000u);
  gst_message_unref(m);
  g_object_set(p.by_name("src"), "timeout", G_GUINT64_CONSTANT(0), nullptr);
  while (GstMessage* late = p.wait_for(GST_MESSAGE_ELEMENT, 50ms)) gst_message_unref(late);  // one may be in flight
  EXPECT_EQ(p.wait_for(GST_MESSAGE_ELEMENT, 400ms), nullptr) << "timeout=0 set while PLAYING still fires";
}

TEST(SrcLive, CapsChangedWhilePlayingAreOnTheNextBuffer) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.40.4 iface=eth0 caps=application/x-mcastexpert-test,v=(int)1 port=" +
                       std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  RawSender tx("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"));
  auto caps_with_next_buffer = [&] {
    tx.send("239.255.40.4", port, "x");
    GstBuffer* buf = rx.pull();
    if (buf == nullptr) throw std::runtime_error("nothing arrived");
    gst_buffer_unref(buf);
    GstCaps* caps = gst_pad_get_current_caps(rx.get()->sinkpad);
    gchar* text = gst_caps_to_string(caps);
    std::string out = text;
    g_free(text);
    gst_caps_unref(caps);
    return out;
  };
  EXPECT_EQ(caps_with_next_buffer(), "application/x-mcastexpert-test, v=(int)1");
  GstCaps* two = gst_caps_from_string("application/x-mcastexpert-test,v=(int)2");
  g_object_set(rx.element(), "caps", two, nullptr);
  gst_caps_unref(two);
  EXPECT_EQ(caps_with_next_buffer(), "application/x-mcastexpert-test, v=(int)2");
}

TEST(SrcLive, SocketPropertiesAreRefusedWhilePlayingWithAWarning) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.40.5 iface=eth0 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  g_object_set(rx.element(), "iface", "eth1", "mtu", 9000u, nullptr);
  gchar* iface = nullptr;
  guint mtu = 0;
  g_object_get(rx.element(), "iface", &iface, "mtu", &mtu, nullptr);
  EXPECT_STREQ(iface, "eth0");
  EXPECT_EQ(mtu, 1500u);
  g_free(iface);
  const auto warnings = rx.messages(GST_MESSAGE_WARNING);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("Property 'iface' cannot change to \"eth1\" while PLAYING"), std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[1].find("Property 'mtu' cannot change"), std::string::npos) << warnings[1];
  // Still joined where it was.
  send_from_txa("239.255.40.5", port, "kept");
  EXPECT_EQ(rx.drain(), tags("kept"));
}

TEST(SrcLive, MtuAndBatchSizeSetInReadyApplyAtTheNextStart) {
  const auto port = next_port();
  Pipeline p("mcastexpertsrc name=src groups=239.255.40.6 iface=eth0 port=" + std::to_string(port) +
             " ! fakesink sync=false");
  GstElement* e = p.by_name("src");
  ASSERT_TRUE(p.set_state("rx", GST_STATE_READY));
  g_object_set(e, "mtu", 100u, "batch-size", 1u, nullptr);
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  GstPad* pad = gst_element_get_static_pad(e, "src");
  std::vector<gsize> first_memory_sizes;
  gst_pad_add_probe(
      pad, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad*, GstPadProbeInfo* info, gpointer data) {
        GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
        static_cast<std::vector<gsize>*>(data)->push_back(gst_buffer_peek_memory(buf, 0)->size);
        return GST_PAD_PROBE_OK;
      },
      &first_memory_sizes, nullptr);
  gst_object_unref(pad);
  RawSender tx("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"));
  const std::string big(300, 'b');
  tx.send("239.255.40.6", port, big);
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (first_memory_sizes.empty() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(first_memory_sizes.size(), 1u);
  EXPECT_EQ(first_memory_sizes[0], 100u) << "the 300-byte datagram was not read into a 100-byte (mtu) buffer";
}

// --- the timeout's range ---

TEST(SrcLive, TimeoutNearTheTopOfItsRangeNeverFiresEarly) {
  // 2^32 ms + 50 ms (a cast to int waits 50 ms) and the very top (which went negative): neither fires soon.
  for (const guint64 timeout : {((G_GUINT64_CONSTANT(1) << 32) + 50) * 1000000, G_MAXUINT64}) {
    const auto port = next_port();
    Pipeline p("mcastexpertsrc name=src groups=239.255.40.7 iface=eth0 port=" + std::to_string(port) +
               " timeout=" + std::to_string(timeout) + " ! fakesink name=sink");
    ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
    EXPECT_EQ(p.wait_for(GST_MESSAGE_ELEMENT, 500ms), nullptr) << "timeout " << timeout << " fired early";
    send_from_txa("239.255.40.7", port, "still-receiving", 2);
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    guint64 rendered = 0;
    while (rendered < 2 && std::chrono::steady_clock::now() < deadline) {
      GstStructure* stats = nullptr;
      g_object_get(p.by_name("sink"), "stats", &stats, nullptr);
      gst_structure_get_uint64(stats, "rendered", &rendered);
      gst_structure_free(stats);
      std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(rendered, 2u) << "timeout " << timeout;
  }
}

// --- running state, and errors ---

TEST(SrcState, PortZeroReadsTheBoundPortOnlyWhileOpen) {
  GstElement* e = gst_element_factory_make("mcastexpertsrc", nullptr);
  g_object_set(e, "groups", "239.255.41.1", "iface", "eth0", "port", 0, nullptr);
  gint port = -1;
  {
    lab::InHost in("rx");
    ASSERT_EQ(gst_element_set_state(e, GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
  }
  g_object_get(e, "port", &port, nullptr);
  EXPECT_GT(port, 0);
  gchar* uri = gst_uri_handler_get_uri(GST_URI_HANDLER(e));
  EXPECT_EQ(std::string(uri), "mcast://239.255.41.1:" + std::to_string(port) + "?iface=eth0");
  g_free(uri);
  ASSERT_EQ(gst_element_set_state(e, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  g_object_get(e, "port", &port, nullptr);
  EXPECT_EQ(port, 0) << "the bound port was written back into what the user set";
  gst_object_unref(e);
}

TEST(SrcState, ErrorsArePostedWithNoLockHeld) {
  expect_errors_posted_with_no_lock_held("mcastexpertsrc", "239.255.41.2", GST_STATE_PLAYING);
}

TEST(SrcState, AUriIsTakenWholeOrNotAtAll) {
  GstElement* e =
      gst_element_make_from_uri(GST_URI_SRC, "mcast://239.255.41.3:6100?iface=eth1&mtu=2000", nullptr, nullptr);
  ASSERT_NE(e, nullptr);
  for (const char* bad : {"mcast://239.255.41.4:6200?iface=eth0&mtu=abc", "mcast://239.255.41.4?timeout=-1",
                          "mcast://239.255.41.4?mtu=", "mcast://239.255.41.4?sources=239.1.1.1",
                          "mcast://239.255.41.4?iface=eth0%00x", "mcast://239.255.41.4?batch-size=0"}) {
    GError* err = nullptr;
    EXPECT_FALSE(gst_uri_handler_set_uri(GST_URI_HANDLER(e), bad, &err)) << bad;
    ASSERT_NE(err, nullptr) << bad;
    EXPECT_NE(std::string(err->message).find("Fix:"), std::string::npos) << err->message;
    g_error_free(err);
    gchar* uri = gst_uri_handler_get_uri(GST_URI_HANDLER(e));
    EXPECT_STREQ(uri, "mcast://239.255.41.3:6100?iface=eth1&mtu=2000") << "after " << bad;
    g_free(uri);
  }
  // A later URI's missing keys go back to their defaults: it describes the element.
  ASSERT_TRUE(gst_uri_handler_set_uri(GST_URI_HANDLER(e), "mcast://239.255.41.5?loop=true", nullptr));
  gchar* uri = gst_uri_handler_get_uri(GST_URI_HANDLER(e));
  EXPECT_STREQ(uri, "mcast://239.255.41.5:5004?loop=true");
  g_free(uri);
  gst_object_unref(e);
}

TEST(SrcState, PrivilegedPortSaysWhy) {
  GstElement* e = gst_element_factory_make("mcastexpertsrc", nullptr);
  g_object_set(e, "groups", "239.255.41.6", "iface", "eth0", "port", 99, nullptr);
  const auto errors = errors_without_capability(e, "rx", GST_STATE_READY, CAP_NET_BIND_SERVICE);
  ASSERT_FALSE(errors.empty());  // the element's own error first (a base class may add "Failed to start")
  EXPECT_NE(errors[0].find("Property 'port' (\"99\")"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("CAP_NET_BIND_SERVICE"), std::string::npos) << errors[0];
  EXPECT_EQ(errors[0].find("is taken"), std::string::npos) << errors[0];
  gst_object_unref(e);
}

TEST(SrcMeta, ReceiveMetaGoesAlongOnCopiesAndOtherTransforms) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.42.1 iface=eth1 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  send_from_txb("239.255.42.1", port, "m", 1);
  GstBuffer* buf = rx.pull();
  ASSERT_NE(buf, nullptr);
  GstBuffer* copy = gst_buffer_copy(buf);
  GstCustomMeta* meta = gst_buffer_get_custom_meta(buf, "McastExpertReceiveMeta");
  ASSERT_NE(meta, nullptr);
  // A transform other than a copy (what a scaler asks for): the arrival interface is still true.
  GstBuffer* scaled = gst_buffer_new_allocate(nullptr, 1, nullptr);
  ASSERT_TRUE(meta->meta.info->transform_func(scaled, &meta->meta, buf, g_quark_from_static_string("gst-video-scale"),
                                              nullptr));
  for (GstBuffer* b : {copy, scaled}) {
    GstCustomMeta* m = gst_buffer_get_custom_meta(b, "McastExpertReceiveMeta");
    ASSERT_NE(m, nullptr);
    const GstStructure* s = gst_custom_meta_get_structure(m);
    EXPECT_STREQ(gst_structure_get_string(s, "group"), "239.255.42.1");
    EXPECT_STREQ(gst_structure_get_string(s, "ifname"), "eth1");
    guint meta_port = 0;
    gst_structure_get_uint(s, "port", &meta_port);
    EXPECT_EQ(meta_port, port);
  }
  gst_buffer_unref(scaled);
  gst_buffer_unref(copy);
  gst_buffer_unref(buf);
}

namespace {

// A pad that stands in for downstream: it records what reaches it and answers each buffer with `answer`.
struct Downstream {
  GstPad* pad = gst_pad_new("downstream", GST_PAD_SINK);
  std::atomic<GstFlowReturn> answer{GST_FLOW_OK};
  std::atomic<int> buffers{0};
  std::atomic<bool> eos{false};

  Downstream() {
    gst_pad_set_element_private(pad, this);
    gst_pad_set_chain_function(pad, [](GstPad* p, GstObject*, GstBuffer* b) {
      auto* self = static_cast<Downstream*>(gst_pad_get_element_private(p));
      gst_buffer_unref(b);
      ++self->buffers;
      return self->answer.load();
    });
    gst_pad_set_chain_list_function(pad, [](GstPad* p, GstObject*, GstBufferList* l) {
      auto* self = static_cast<Downstream*>(gst_pad_get_element_private(p));
      self->buffers += static_cast<int>(gst_buffer_list_length(l));
      gst_buffer_list_unref(l);
      return self->answer.load();
    });
    gst_pad_set_event_function(pad, [](GstPad* p, GstObject*, GstEvent* e) -> gboolean {
      auto* self = static_cast<Downstream*>(gst_pad_get_element_private(p));
      if (GST_EVENT_TYPE(e) == GST_EVENT_EOS) self->eos = true;
      if (GST_EVENT_TYPE(e) == GST_EVENT_FLUSH_STOP) self->eos = false;
      gst_event_unref(e);
      return TRUE;
    });
    gst_pad_set_active(pad, TRUE);
  }
  ~Downstream() {
    gst_pad_set_active(pad, FALSE);
    gst_object_unref(pad);
  }
  Downstream(const Downstream&) = delete;
  Downstream& operator=(const Downstream&) = delete;

  bool wait_for(int n, std::chrono::milliseconds timeout = 2000ms) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (buffers.load() < n && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(2ms);
    return buffers.load() >= n;
  }
};

// A source on rx linked to `down`, with its own bus.
struct SrcIntoDownstream {
  GstElement* element;
  GstBus* bus = gst_bus_new();
  uint16_t port = next_port();

  explicit SrcIntoDownstream(Downstream& down) : element(gst_element_factory_make("mcastexpertsrc", nullptr)) {
    gst_object_ref_sink(element);
    gst_util_set_object_arg(G_OBJECT(element), "groups", "239.255.40.1");
    gst_util_set_object_arg(G_OBJECT(element), "iface", "eth0");
    g_object_set(element, "port", static_cast<gint>(port), nullptr);
    gst_element_set_bus(element, bus);
    GstPad* pad = gst_element_get_static_pad(element, "src");
    gst_pad_link(pad, down.pad);
    gst_object_unref(pad);
  }
  ~SrcIntoDownstream() {
    gst_element_set_state(element, GST_STATE_NULL);
    gst_bus_set_flushing(bus, TRUE);
    gst_object_unref(element);
    gst_object_unref(bus);
  }
  SrcIntoDownstream(const SrcIntoDownstream&) = delete;
  SrcIntoDownstream& operator=(const SrcIntoDownstream&) = delete;

  bool set_state(GstState state) {
    lab::InHost in("rx");
    return gst_element_set_state(element, state) != GST_STATE_CHANGE_FAILURE;
  }
  // How long the way to NULL takes.
  std::chrono::milliseconds time_to_null() {
    const auto t0 = std::chrono::steady_clock::now();
    gst_element_set_state(element, GST_STATE_NULL);
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  }
  void send(int count) { send_from_txa("239.255.40.1", port, "d", count); }
};

}  // namespace

TEST(SrcDownstream, NotLinkedDownstreamIsAnErrorThenStopAndRestartAreClean) {
  Downstream down;
  SrcIntoDownstream s(down);
  ASSERT_TRUE(s.set_state(GST_STATE_PLAYING));
  s.send(1);
  ASSERT_TRUE(down.wait_for(1));
  down.answer = GST_FLOW_NOT_LINKED;
  s.send(1);
  GstMessage* error = gst_bus_timed_pop_filtered(s.bus, 2 * GST_SECOND, GST_MESSAGE_ERROR);
  ASSERT_NE(error, nullptr) << "a downstream that is not linked must be an error, as for every GStreamer source";
  gchar* debug = nullptr;
  gst_message_parse_error(error, nullptr, &debug);
  EXPECT_NE(std::string(debug != nullptr ? debug : "").find("not-linked"), std::string::npos) << debug;
  g_free(debug);
  gst_message_unref(error);
  EXPECT_LT(s.time_to_null(), 100ms);
  down.answer = GST_FLOW_OK;
  const int before = down.buffers.load();
  ASSERT_TRUE(s.set_state(GST_STATE_PLAYING));
  s.send(3);
  EXPECT_TRUE(down.wait_for(before + 3)) << "restarted after the error: " << down.buffers.load() - before << " of 3";
}

TEST(SrcDownstream, FlushingDownstreamStopsQuietlyAndRestartIsClean) {
  Downstream down;
  SrcIntoDownstream s(down);
  ASSERT_TRUE(s.set_state(GST_STATE_PLAYING));
  down.answer = GST_FLOW_FLUSHING;
  s.send(3);
  ASSERT_TRUE(down.wait_for(1));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(messages_on(s.bus, GST_MESSAGE_ERROR), std::vector<std::string>{}) << "FLUSHING is not an error";
  EXPECT_LT(s.time_to_null(), 100ms);
  down.answer = GST_FLOW_OK;
  const int before = down.buffers.load();
  ASSERT_TRUE(s.set_state(GST_STATE_PLAYING));
  s.send(3);
  EXPECT_TRUE(down.wait_for(before + 3));
}

TEST(SrcDownstream, EosSentWhileStreamingEndsTheStreamAndRestartIsClean) {
  Downstream down;
  SrcIntoDownstream s(down);
  ASSERT_TRUE(s.set_state(GST_STATE_PLAYING));
  s.send(3);
  ASSERT_TRUE(down.wait_for(3));
  const auto t0 = std::chrono::steady_clock::now();
  gst_element_send_event(s.element, gst_event_new_eos());
  while (!down.eos.load() && std::chrono::steady_clock::now() - t0 < 2s) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(down.eos.load()) << "EOS reached downstream";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms) << "EOS waits for no datagram";
  const int at_eos = down.buffers.load();
  s.send(3);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(down.buffers.load(), at_eos) << "nothing after EOS";
  EXPECT_LT(s.time_to_null(), 100ms);
  ASSERT_TRUE(s.set_state(GST_STATE_PLAYING));
  s.send(3);
  EXPECT_TRUE(down.wait_for(at_eos + 3)) << "a new stream after restart";
}

TEST(SrcDownstream, AFlushFromDownstreamWakesTheReadAtOnceAndRestartIsClean) {
  Downstream down;
  SrcIntoDownstream s(down);
  ASSERT_TRUE(s.set_state(GST_STATE_PLAYING));
  s.send(2);
  ASSERT_TRUE(down.wait_for(2));
  // The read is now blocked waiting for a datagram; a flush must wake it and the streaming thread stop (as for any
  // live base source, it runs again at the next start, not at flush-stop).
  GstPad* pad = gst_element_get_static_pad(s.element, "src");
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(gst_pad_push_event(down.pad, gst_event_new_flush_start()));
  while (gst_pad_get_task_state(pad) == GST_TASK_STARTED && std::chrono::steady_clock::now() - t0 < 2s)
    std::this_thread::sleep_for(1ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms) << "the streaming thread left the read";
  gst_object_unref(pad);
  ASSERT_TRUE(gst_pad_push_event(down.pad, gst_event_new_flush_stop(TRUE)));
  EXPECT_EQ(messages_on(s.bus, GST_MESSAGE_ERROR), std::vector<std::string>{}) << "a flush is not an error";
  EXPECT_LT(s.time_to_null(), 100ms);
  ASSERT_TRUE(s.set_state(GST_STATE_PLAYING));
  s.send(3);
  EXPECT_TRUE(down.wait_for(5)) << down.buffers.load() << " of 5 after the flush and a restart";
}
