// mcastexpertsink in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B (with txb);
// rx's default route is eth0. Receivers are plain sockets (and mcastexpertsrc for the round trip).
#include <atomic>
#include <cstdlib>

#include "element_test.hpp"

using namespace et;

namespace {

std::string sink(const std::string& props) {
  return "mcastexpertsink sync=false " + props;
}

// A started sink on `host`.
std::unique_ptr<Harness> start_sink(const std::string& host, const std::string& props) {
  auto h = std::make_unique<Harness>(host, sink(props));
  if (!h->play()) throw std::runtime_error("sink did not start: " + h->error());
  h->start_stream();
  return h;
}

std::vector<std::string> payloads(RawReceiver& r, std::chrono::milliseconds quiet = 300ms) {
  std::vector<std::string> out;
  while (auto got = r.receive(quiet)) out.push_back(got->payload);
  return out;
}

}  // namespace

TEST(Sink, DeliversToAReceiverOnAnotherHost) {
  for (const std::string group : {"239.255.20.1", "ff15::20:1"}) {
    const auto port = next_port();
    RawReceiver txa("txa", group, port, I("TXA_ETH0_INDEX"));
    auto h = start_sink("rx", "groups=" + group + " iface=eth0 port=" + std::to_string(port));
    ASSERT_EQ(h->push("hello"), GST_FLOW_OK);
    ASSERT_EQ(h->push("world"), GST_FLOW_OK);
    EXPECT_EQ(payloads(txa), (std::vector<std::string>{"hello", "world"})) << group;
  }
}

TEST(Sink, PerGroupPortsAreHonoured) {
  const auto p1 = next_port(), p2 = next_port();
  RawReceiver one("txa", "239.255.20.2", p1, I("TXA_ETH0_INDEX"));
  RawReceiver two("txa", "ff15::20:2", p2, I("TXA_ETH0_INDEX"));
  auto h4 = start_sink("rx", "groups=239.255.20.2:" + std::to_string(p1) + " iface=eth0");
  auto h6 = start_sink("rx", "groups=[ff15::20:2]:" + std::to_string(p2) + " iface=eth0");
  h4->push("v4");
  h6->push("v6");
  EXPECT_EQ(payloads(one), std::vector<std::string>{"v4"});
  EXPECT_EQ(payloads(two), std::vector<std::string>{"v6"});
}

TEST(Sink, PinnedInterfaceWinsOverTheDefaultRoute) {
  for (const std::string group : {"239.255.21.1", "ff15::21:1"}) {
    const auto port = next_port();
    RawReceiver lan_a("txa", group, port, I("TXA_ETH0_INDEX"));
    RawReceiver lan_b("txb", group, port, I("TXB_ETH0_INDEX"));
    auto h = start_sink("rx", "groups=" + group + " iface=eth1 port=" + std::to_string(port));
    h->push("by-eth1");
    EXPECT_EQ(payloads(lan_b), std::vector<std::string>{"by-eth1"}) << group;
    EXPECT_TRUE(payloads(lan_a, 100ms).empty()) << group << " leaked onto LAN A (the default route)";
  }
}

TEST(Sink, PinnedByAddressOrIndexToo) {
  for (const std::string& iface :
       {F("RX_ETH1_IPV4"), std::to_string(I("RX_ETH1_INDEX")), F("RX_ETH1_IPV6LL") + "%eth1"}) {
    const auto port = next_port();
    RawReceiver lan_b("txb", "239.255.21.2", port, I("TXB_ETH0_INDEX"));
    auto h = start_sink("rx", "groups=239.255.21.2 iface=" + iface + " port=" + std::to_string(port));
    h->push("x");
    EXPECT_EQ(payloads(lan_b), std::vector<std::string>{"x"}) << iface;
  }
}

TEST(Sink, DefaultFollowsTheRoutingTableAndSaysSo) {
  const auto port = next_port();
  RawReceiver lan_a("txa", "239.255.22.1", port, I("TXA_ETH0_INDEX"));
  RawReceiver lan_b("txb", "239.255.22.1", port, I("TXB_ETH0_INDEX"));
  auto h = start_sink("rx", "groups=239.255.22.1 port=" + std::to_string(port));
  h->push("default");
  EXPECT_EQ(payloads(lan_a), std::vector<std::string>{"default"});
  EXPECT_TRUE(payloads(lan_b, 100ms).empty());
  const auto infos = h->messages(GST_MESSAGE_INFO);
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_NE(infos[0].find("by eth0"), std::string::npos) << infos[0];
  EXPECT_NE(infos[0].find("routing table picks (the default route)"), std::string::npos) << infos[0];
}

TEST(Sink, DefaultFollowsAMulticastRoute) {
  const auto port = next_port();
  run_in("rx", "ip route add 239.255.23.0/24 dev eth1");
  RawReceiver lan_b("txb", "239.255.23.1", port, I("TXB_ETH0_INDEX"));
  auto h = start_sink("rx", "groups=239.255.23.1 port=" + std::to_string(port));
  run_in("rx", "ip route del 239.255.23.0/24 dev eth1");
  h->push("routed");
  EXPECT_EQ(payloads(lan_b), std::vector<std::string>{"routed"});
  const auto infos = h->messages(GST_MESSAGE_INFO);
  ASSERT_EQ(infos.size(), 1u);
  EXPECT_NE(infos[0].find("by eth1"), std::string::npos) << infos[0];
  EXPECT_NE(infos[0].find("routing table picks (a multicast route)"), std::string::npos) << infos[0];
}

TEST(Sink, FansOutOnEveryListedInterface) {
  const auto port = next_port();
  RawReceiver lan_a("txa", "239.255.24.1", port, I("TXA_ETH0_INDEX"));
  RawReceiver lan_b("txb", "239.255.24.1", port, I("TXB_ETH0_INDEX"));
  auto h = start_sink("rx", "groups=239.255.24.1 iface=eth0,eth1 port=" + std::to_string(port));
  h->push("one");
  h->push("two");
  EXPECT_EQ(payloads(lan_a), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(payloads(lan_b), (std::vector<std::string>{"one", "two"}));
  GstStructure* stats = h->stats();
  guint64 sent = 0;
  gst_structure_get_uint64(stats, "packets-sent", &sent);
  EXPECT_EQ(sent, 4u);
  EXPECT_EQ(gst_value_array_get_size(gst_structure_get_value(stats, "interfaces")), 2u);
  gst_structure_free(stats);
}

TEST(Sink, TtlAndHopLimitAreWhatWasAskedFor) {
  for (const std::string group : {"239.255.25.1", "ff15::25:1"}) {
    for (const int ttl : {1, 7}) {
      const auto port = next_port();
      RawReceiver rx("txa", group, port, I("TXA_ETH0_INDEX"));
      auto h = start_sink(
          "rx", "groups=" + group + " iface=eth0 ttl=" + std::to_string(ttl) + " port=" + std::to_string(port));
      h->push("ttl");
      const auto got = rx.receive();
      ASSERT_TRUE(got.has_value()) << group;
      EXPECT_EQ(got->ttl, ttl) << group;
    }
  }
}

TEST(Sink, DscpIsWhatWasAskedFor) {
  for (const std::string group : {"239.255.26.1", "ff15::26:1"}) {
    const auto port = next_port();
    RawReceiver rx("txa", group, port, I("TXA_ETH0_INDEX"));
    auto h = start_sink("rx", "groups=" + group + " iface=eth0 qos-dscp=46 port=" + std::to_string(port));
    h->push("ef");
    const auto got = rx.receive();
    ASSERT_TRUE(got.has_value()) << group;
    EXPECT_EQ(got->tos >> 2, 46) << group;
  }
}

TEST(Sink, LoopDecidesWhetherThisHostHearsItself) {
  for (const bool loop : {false, true}) {
    const auto port = next_port();
    RawReceiver local("rx", "239.255.27.1", port, I("RX_ETH0_INDEX"));
    RawReceiver remote("txa", "239.255.27.1", port, I("TXA_ETH0_INDEX"));
    auto h = start_sink(
        "rx", "groups=239.255.27.1 iface=eth0 port=" + std::to_string(port) + (loop ? " loop=true" : " loop=false"));
    h->push("echo");
    EXPECT_EQ(payloads(remote), std::vector<std::string>{"echo"});
    EXPECT_EQ(payloads(local, 150ms).size(), loop ? 1u : 0u) << "loop=" << loop;
  }
}

TEST(Sink, SourceAddressAndPortAreTheBoundOnes) {
  const auto port = next_port();
  RawReceiver lan_b("txb", "239.255.28.1", port, I("TXB_ETH0_INDEX"));
  auto h = start_sink("rx", "groups=239.255.28.1 iface=eth1 bind-port=7777 port=" + std::to_string(port));
  h->push("from");
  auto got = lan_b.receive();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->sender, F("RX_ETH1_IPV4"));
  EXPECT_EQ(got->sender_port, 7777);

  // Link-local IPv6 source for a link-scope group, with its scope.
  const auto port6 = next_port();
  RawReceiver ll("txb", "ff02::28:1", port6, I("TXB_ETH0_INDEX"));
  auto h6 = start_sink("rx", "groups=ff02::28:1 iface=eth1 port=" + std::to_string(port6));
  h6->push("ll");
  got = ll.receive();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->sender, F("RX_ETH1_IPV6LL"));
  gint bound = 0;
  g_object_get(h6->element(), "bind-port", &bound, nullptr);
  EXPECT_GT(bound, 0);
  EXPECT_EQ(got->sender_port, bound);
}

TEST(Sink, BufferListsGoOutWholeAndInOrder) {
  const auto port = next_port();
  RawReceiver rx("txa", "239.255.29.1", port, I("TXA_ETH0_INDEX"));
  auto h = start_sink("rx", "groups=239.255.29.1 iface=eth0 port=" + std::to_string(port));
  std::vector<std::string> sent;
  for (int i = 0; i < 64; ++i)
    sent.push_back("pkt-" + std::to_string(i) + std::string(static_cast<size_t>(i * 10), 'x'));
  ASSERT_EQ(h->push_list(sent), GST_FLOW_OK);
  EXPECT_EQ(payloads(rx), sent);
}

// One socket per interface serves every group sent by it: the first destination it was connected to and the others,
// one datagram at a time and in GSO runs.
TEST(Sink, OneInterfaceServesSeveralGroupsSinglesAndLists) {
  const auto p1 = next_port(), p2 = next_port();
  RawReceiver first("txa", "239.255.29.2", p1, I("TXA_ETH0_INDEX"));
  RawReceiver second("txa", "239.255.29.3", p2, I("TXA_ETH0_INDEX"));
  auto h = start_sink(
      "rx", "groups=239.255.29.2:" + std::to_string(p1) + ",239.255.29.3:" + std::to_string(p2) + " iface=eth0");
  ASSERT_EQ(h->push("single"), GST_FLOW_OK);
  std::vector<std::string> run;
  for (int i = 0; i < 16; ++i) run.push_back("run-" + std::string(i < 10 ? "0" : "") + std::to_string(i));
  ASSERT_EQ(h->push_list(run), GST_FLOW_OK);
  std::vector<std::string> want{"single"};
  want.insert(want.end(), run.begin(), run.end());
  EXPECT_EQ(payloads(first), want);
  EXPECT_EQ(payloads(second), want);
}

TEST(Sink, ABufferOfSeveralMemoriesIsOneDatagram) {
  const auto port = next_port();
  RawReceiver rx("txa", "239.255.29.2", port, I("TXA_ETH0_INDEX"));
  auto h = start_sink("rx", "groups=239.255.29.2 iface=eth0 port=" + std::to_string(port));
  GstBuffer* buf = gst_buffer_new();
  for (const char* part : {"head|", "body|", "tail"})
    gst_buffer_append_memory(buf, gst_memory_new_wrapped(GST_MEMORY_FLAG_READONLY, const_cast<char*>(part),
                                                         strlen(part), 0, strlen(part), nullptr, nullptr));
  ASSERT_EQ(gst_harness_push(h->get(), buf), GST_FLOW_OK);
  EXPECT_EQ(payloads(rx), std::vector<std::string>{"head|body|tail"});
}

TEST(Sink, OversizedBuffersWarnOnceAndAreCounted) {
  const auto port = next_port();
  RawReceiver rx("txa", "239.255.29.3", port, I("TXA_ETH0_INDEX"));
  auto h = start_sink("rx", "groups=239.255.29.3 iface=eth0 port=" + std::to_string(port));
  const std::string huge(70000, 'h');
  EXPECT_EQ(h->push(huge), GST_FLOW_OK);
  EXPECT_EQ(h->push(huge), GST_FLOW_OK);
  EXPECT_EQ(h->push("fits"), GST_FLOW_OK);
  EXPECT_EQ(payloads(rx), std::vector<std::string>{"fits"});
  const auto warnings = h->messages(GST_MESSAGE_WARNING);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("70000-byte"), std::string::npos) << warnings[0];
  EXPECT_EQ(h->stat("oversized-dropped"), 2u);
}

TEST(Sink, RoundTripThroughMcastexpertsrcKeepsTheBytes) {
  const auto port = next_port();
  Harness src("rx", "mcastexpertsrc groups=239.255.30.1 iface=eth0 port=" + std::to_string(port));
  ASSERT_TRUE(src.play()) << src.error();
  auto h = start_sink("txa", "groups=239.255.30.1 iface=eth0 port=" + std::to_string(port));
  std::vector<std::string> sent;
  for (int i = 0; i < 50; ++i) {
    std::string payload(1316, '\0');
    for (size_t j = 0; j < payload.size(); ++j) payload[j] = static_cast<char>((i * 31 + j) & 0xff);
    sent.push_back(payload);
    ASSERT_EQ(h->push(payload), GST_FLOW_OK);
  }
  EXPECT_EQ(src.drain(), sent);
}

TEST(Sink, AListRoundTripArrivesAsTheSameDatagrams) {
  // Equal-sized buffers in a list leave as one GSO send; the receiver may get them coalesced (GRO) and must hand
  // them on as the datagrams they were, each with its meta.
  const auto port = next_port();
  Harness src("rx", "mcastexpertsrc groups=239.255.30.2 iface=eth0 port=" + std::to_string(port));
  ASSERT_TRUE(src.play()) << src.error();
  auto h = start_sink("txa", "groups=239.255.30.2 iface=eth0 port=" + std::to_string(port));
  std::vector<std::string> sent;
  for (int i = 0; i < 64; ++i) {
    std::string payload(1316, static_cast<char>('a' + i % 26));
    payload.replace(0, 8, "pkt-" + std::to_string(1000 + i));
    sent.push_back(payload);
  }
  sent.back().resize(700);  // a shorter last one, as GSO allows
  ASSERT_EQ(h->push_list(sent), GST_FLOW_OK);
  std::vector<std::string> got;
  while (GstBuffer* b = src.pull(300ms)) {
    got.push_back(buffer_bytes(b));
    GstCustomMeta* meta = gst_buffer_get_custom_meta(b, "McastExpertReceiveMeta");
    EXPECT_NE(meta, nullptr);
    EXPECT_TRUE(GST_BUFFER_PTS_IS_VALID(b));
    gst_buffer_unref(b);
  }
  EXPECT_EQ(got, sent);
  EXPECT_EQ(src.stat("packets-received"), 64u);
}

static void add_destination(GstElement* e, const char* host, int port) {
  g_signal_emit_by_name(e, "add", host, port);
}

TEST(Sink, DestinationsChangeAtRunTimeIpv6Included) {
  const auto port = next_port();
  RawReceiver first("txa", "ff15::31:1", port, I("TXA_ETH0_INDEX"));
  RawReceiver added("txa", "ff15::31:2", port, I("TXA_ETH0_INDEX"));
  auto h = start_sink("rx", "groups=ff15::31:1 iface=eth0 port=" + std::to_string(port));
  h->push("a");
  add_destination(h->element(), "ff15::31:2", port);
  h->push("b");
  g_signal_emit_by_name(h->element(), "remove", "ff15::31:1", port);
  h->push("c");
  EXPECT_EQ(payloads(first), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(payloads(added), (std::vector<std::string>{"b", "c"}));
  GstStructure* s = nullptr;
  g_signal_emit_by_name(h->element(), "get-stats", "ff15::31:2", port, &s);
  ASSERT_NE(s, nullptr);
  guint64 packets = 0;
  gst_structure_get_uint64(s, "packets-sent", &packets);
  EXPECT_EQ(packets, 2u);
  gst_structure_free(s);
  g_signal_emit_by_name(h->element(), "clear");
  // With nowhere to send, buffers are dropped quietly — for longer than the "everything failed" second.
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < 1300ms) {
    ASSERT_EQ(h->push("d"), GST_FLOW_OK);
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(payloads(added, 150ms).empty());
  EXPECT_TRUE(h->messages(GST_MESSAGE_ERROR).empty());
  add_destination(h->element(), "ff15::31:2", port);
  h->push("e");
  EXPECT_EQ(payloads(added), std::vector<std::string>{"e"});
}

TEST(Sink, DoesNotJoinTheGroupsItSendsTo) {
  const auto port = next_port();
  auto h = start_sink("rx", "groups=239.255.32.1,239.255.32.2 iface=eth0,eth1 port=" + std::to_string(port));
  h->push("x");
  const std::string joined = run_output("ip netns exec rx ip maddr show");
  EXPECT_EQ(joined.find("239.255.32"), std::string::npos) << joined;
}

TEST(Sink, RepeatedStateChangesLeakNoDescriptors) {
  Pipeline p(
      "fakesrc num-buffers=1 sizetype=fixed sizemax=10 filltype=zero ! mcastexpertsink groups=239.255.33.1 "
      "iface=eth0,eth1 port=" +
      std::to_string(next_port()));
  expect_state_cycles_leak_no_descriptors(p, "rx");
}

TEST(SinkLifetime, ReadyPausedFlipsLeaveNothingBehind) {
  Pipeline p(
      "fakesrc num-buffers=1 sizetype=fixed sizemax=10 filltype=zero ! mcastexpertsink groups=239.255.33.2 "
      "iface=eth0,eth1 async=false port=" +
      std::to_string(next_port()));
  ASSERT_TRUE(p.set_state("rx", GST_STATE_READY));
  expect_cycles_leave_nothing_behind(p, "rx", lifetime_rounds(1000, 10000), GST_STATE_READY, GST_STATE_PAUSED, false);
  ASSERT_TRUE(p.set_state("rx", GST_STATE_NULL));
}

TEST(Sink, UriSetsGroupsPortAndKeys) {
  GstElement* e =
      gst_element_make_from_uri(GST_URI_SINK, "mcast://239.255.34.1:6600?iface=eth1&ttl=4", nullptr, nullptr);
  ASSERT_NE(e, nullptr);
  EXPECT_STREQ(G_OBJECT_TYPE_NAME(e), "GstMcastExpertSink");
  gchar *groups = nullptr, *iface = nullptr;
  gint port = 0, ttl = 0;
  g_object_get(e, "groups", &groups, "iface", &iface, "port", &port, "ttl", &ttl, nullptr);
  EXPECT_STREQ(groups, "239.255.34.1");
  EXPECT_STREQ(iface, "eth1");
  EXPECT_EQ(port, 6600);
  EXPECT_EQ(ttl, 4);
  gchar* uri = gst_uri_handler_get_uri(GST_URI_HANDLER(e));
  EXPECT_STREQ(uri, "mcast://239.255.34.1:6600?iface=eth1&ttl=4");
  g_free(uri);
  g_free(groups);
  g_free(iface);
  gst_object_unref(e);
}

TEST(Sink, ADeadRouteWarnsOnceWhileTheOthersGoOnAndAllDeadWarnsAndResumes) {
  const auto port = next_port();
  RawReceiver lan_a("txa", "239.255.35.1", port, I("TXA_ETH0_INDEX"));
  // A third interface on rx that will go down under the sink.
  run_in("rx",
         "ip link add dead0 type veth peer name dead0p && ip addr add 10.77.8.1/24 dev dead0 && "
         "ip link set dead0 up && ip link set dead0p up");
  auto h = start_sink("rx", "groups=239.255.35.1 iface=eth0,dead0 port=" + std::to_string(port));
  auto lonely = start_sink("rx", "groups=239.255.35.2 iface=dead0 port=" + std::to_string(port));
  run_in("rx", "ip link set dead0 down");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(h->push("still-" + std::to_string(i)), GST_FLOW_OK);
  EXPECT_EQ(payloads(lan_a).size(), 5u);
  // One warning for the route's failure, one for the interface going down (the sink watches the interfaces).
  const auto warnings = h->messages(GST_MESSAGE_WARNING);
  auto count = [&](const char* text) {
    return std::count_if(warnings.begin(), warnings.end(),
                         [&](const std::string& w) { return w.find(text) != std::string::npos; });
  };
  EXPECT_EQ(count("by dead0 failed"), 1) << warnings.size() << " warnings";
  EXPECT_EQ(count("Interface dead0 is down"), 1) << warnings.size() << " warnings";
  EXPECT_EQ(warnings.size(), 2u);
  EXPECT_GE(h->stat("send-errors"), 5u);

  // Every route dead for over a second: a warning, and the sink goes on; when the link is back, it sends again
  // and says so.
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < 1300ms) {
    ASSERT_EQ(lonely->push("void"), GST_FLOW_OK);
    std::this_thread::sleep_for(20ms);
  }
  // The route's errno (again if it changes), the interface down, then, last, the second without any send.
  const auto lonely_warnings = lonely->messages(GST_MESSAGE_WARNING);
  ASSERT_GE(lonely_warnings.size(), 3u);
  EXPECT_TRUE(std::any_of(lonely_warnings.begin(), lonely_warnings.end(),
                          [](const std::string& w) { return w.find("Interface dead0 is down") != std::string::npos; }));
  EXPECT_NE(lonely_warnings.back().find("Nothing could be sent for a second"), std::string::npos)
      << lonely_warnings.back();
  EXPECT_TRUE(lonely->messages(GST_MESSAGE_ERROR).empty());
  const guint64 sent_before = lonely->stat("packets-sent");
  run_in("rx", "ip link set dead0 up");
  std::this_thread::sleep_for(100ms);
  ASSERT_EQ(lonely->push("back"), GST_FLOW_OK);
  EXPECT_EQ(lonely->stat("packets-sent"), sent_before + 1);
  const auto infos = lonely->messages(GST_MESSAGE_INFO);
  ASSERT_FALSE(infos.empty());
  EXPECT_TRUE(std::any_of(infos.begin(), infos.end(), [](const std::string& i) {
    return i.find("Sending again after") != std::string::npos;
  })) << infos.back();

  // With error-timeout, persistent failure is an error and the flow stops.
  auto strict =
      start_sink("rx", "groups=239.255.35.3 iface=dead0 error-timeout=300000000 port=" + std::to_string(port));
  run_in("rx", "ip link set dead0 down");
  GstFlowReturn last = GST_FLOW_OK;
  const auto strict_start = std::chrono::steady_clock::now();
  while (last == GST_FLOW_OK && std::chrono::steady_clock::now() - strict_start < 3s) {
    last = strict->push("void");
    std::this_thread::sleep_for(20ms);
  }
  run_in("rx", "ip link del dead0");
  EXPECT_EQ(last, GST_FLOW_ERROR);
  const auto errors = strict->messages(GST_MESSAGE_ERROR);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("Every destination has failed for"), std::string::npos) << errors[0];
}

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

// --- one validation path for destinations, before start as while running ---

// The refusals `add` must give, with the text each warning carries.
static void add_the_bad_ones(GstElement* e, uint16_t port) {
  add_destination(e, F("TXA_ETH0_IPV4").c_str(), port);  // unicast
  add_destination(e, "ff15::50:1", port);                // the other family
  add_destination(e, "239.255.50.2:5004", port);         // a port in the group
  add_destination(e, "239.255.50.2", 70000);             // a port out of range
}

static void expect_the_bad_ones_refused(const std::vector<std::string>& warnings, uint16_t port, const char* when) {
  ASSERT_EQ(warnings.size(), 4u) << when;
  EXPECT_NE(warnings[0].find("Signal 'add' (\"" + F("TXA_ETH0_IPV4") + "\", " + std::to_string(port) + ") refused: '" +
                             F("TXA_ETH0_IPV4") + "' is not a multicast address"),
            std::string::npos)
      << when << ": " << warnings[0];
  EXPECT_NE(warnings[1].find("[ff15::50:1]:" + std::to_string(port) + " is IPv6 but this sender sends IPv4"),
            std::string::npos)
      << when << ": " << warnings[1];
  EXPECT_NE(warnings[2].find("has a port"), std::string::npos) << when << ": " << warnings[2];
  EXPECT_NE(warnings[3].find("port 70000 is out of range"), std::string::npos) << when << ": " << warnings[3];
}

TEST(SinkSignals, AddBeforeStartRefusesWhatItRefusesWhileRunning) {
  const auto port = next_port();
  RawReceiver txa("txa", "239.255.50.1", port, I("TXA_ETH0_INDEX"));  // bound to the port: unicast would land too
  std::vector<std::string> before_start;
  Harness h("rx", sink("groups=239.255.50.1 iface=eth0 port=" + std::to_string(port)), [&](GstElement* e) {
    add_the_bad_ones(e, port);
    GstBus* bus = gst_element_get_bus(e);
    before_start = messages_on(bus, GST_MESSAGE_WARNING);
    gst_object_unref(bus);
  });
  expect_the_bad_ones_refused(before_start, port, "before start");
  EXPECT_TRUE(h.messages(GST_MESSAGE_ERROR).empty()) << "a refused destination made start fail";
  h.start_stream();
  add_the_bad_ones(h.element(), port);
  expect_the_bad_ones_refused(h.messages(GST_MESSAGE_WARNING), port, "while running");
  ASSERT_EQ(h.push("once"), GST_FLOW_OK);
  EXPECT_EQ(payloads(txa), std::vector<std::string>{"once"}) << "the multicast copy only, no unicast one";
}

TEST(SinkSignals, AddBeforeStartTakesTheFamilyOfTheGroups) {
  const auto port = next_port();
  RawReceiver txa("txa", "ff15::50:2", port, I("TXA_ETH0_INDEX"));
  Harness h("rx", sink("groups=ff15::50:3 iface=eth0 port=" + std::to_string(port)), [&](GstElement* e) {
    add_destination(e, "ff15::50:2", port);
    add_destination(e, "239.255.50.3", port);
  });
  const auto warnings = h.messages(GST_MESSAGE_WARNING);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("239.255.50.3:" + std::to_string(port) + " is IPv4 but this sender sends IPv6"),
            std::string::npos)
      << warnings[0];
  EXPECT_TRUE(h.messages(GST_MESSAGE_ERROR).empty());
  h.start_stream();
  h.push("added");
  EXPECT_EQ(payloads(txa), std::vector<std::string>{"added"});
}

TEST(SinkSignals, RemoveBeforeStartOfAListedGroupSaysWhereItComesFrom) {
  GstElement* e = gst_element_factory_make("mcastexpertsink", nullptr);
  g_object_set(e, "groups", "239.255.50.4", "port", 5004, nullptr);
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(e, bus);
  g_signal_emit_by_name(e, "remove", "239.255.50.4", 5004);
  g_signal_emit_by_name(e, "remove", "239.255.50.5", 5004);
  const auto warnings = messages_on(bus, GST_MESSAGE_WARNING);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("239.255.50.4:5004 is listed in groups"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("239.255.50.5:5004 is not a destination of this element"), std::string::npos)
      << warnings[1];
  gst_object_unref(bus);
  gst_object_unref(e);
}

TEST(SinkSignals, GetStatsForADestinationItDoesNotHaveSaysSo) {
  auto h = start_sink("rx", "groups=239.255.50.6 iface=eth0 port=5004");
  GstStructure* known = nullptr;
  GstStructure* unknown = nullptr;
  g_signal_emit_by_name(h->element(), "get-stats", "239.255.50.6", 5004, &known);
  g_signal_emit_by_name(h->element(), "get-stats", "239.255.50.7", 5004, &unknown);
  ASSERT_NE(known, nullptr);
  EXPECT_EQ(unknown, nullptr) << "zeros for a destination that does not exist";
  gst_structure_free(known);
  const auto warnings = h->messages(GST_MESSAGE_WARNING);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("Signal 'get-stats' (\"239.255.50.7\", 5004) refused: 239.255.50.7:5004 is not a "
                             "destination of this element"),
            std::string::npos)
      << warnings[0];
}

// --- running state ---

TEST(SinkState, BindPortIsNotWrittenBackAcrossRestarts) {
  const auto port = next_port();
  Harness h("rx", sink("groups=239.255.51.1 iface=eth0 port=" + std::to_string(port)));
  ASSERT_TRUE(h.play()) << h.error();
  gint bound = 0;
  g_object_get(h.element(), "bind-port", &bound, nullptr);
  ASSERT_GT(bound, 0);
  ASSERT_EQ(gst_element_set_state(h.element(), GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  gint after = -1;
  g_object_get(h.element(), "bind-port", &after, nullptr);
  EXPECT_EQ(after, 0) << "the ephemeral port of the last run became the user's setting";
  // Someone else takes that port: the next run, still asking for any port, must not care.
  RawSender squatter("rx", F("RX_ETH0_IPV4"), I("RX_ETH0_INDEX"), static_cast<uint16_t>(bound));
  ASSERT_TRUE(h.play()) << h.error();
  gint again = 0;
  g_object_get(h.element(), "bind-port", &again, nullptr);
  EXPECT_GT(again, 0);
  EXPECT_NE(again, bound);
}

TEST(SinkState, ErrorsArePostedWithNoLockHeld) {
  expect_errors_posted_with_no_lock_held("mcastexpertsink", "239.255.51.2", GST_STATE_PAUSED);
}

TEST(SinkState, SocketPropertiesAreRefusedWhilePlayingWithAWarning) {
  const auto port = next_port();
  RawReceiver txa("txa", "239.255.51.3", port, I("TXA_ETH0_INDEX"));
  auto h = start_sink("rx", "groups=239.255.51.3 iface=eth0 port=" + std::to_string(port));
  g_object_set(h->element(), "ttl", 9, nullptr);
  gint ttl = 0;
  g_object_get(h->element(), "ttl", &ttl, nullptr);
  EXPECT_EQ(ttl, 1);
  const auto warnings = h->messages(GST_MESSAGE_WARNING);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("Property 'ttl' cannot change to \"9\" while PLAYING"), std::string::npos) << warnings[0];
  h->push("ttl");
  const auto got = txa.receive();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->ttl, 1);
}

TEST(SinkState, PrivilegedBindPortSaysWhy) {
  GstElement* e = gst_element_factory_make("mcastexpertsink", nullptr);
  g_object_set(e, "groups", "239.255.51.4", "iface", "eth0", "bind-port", 99, nullptr);
  const auto errors = errors_without_capability(e, "rx", GST_STATE_PAUSED, CAP_NET_BIND_SERVICE);
  ASSERT_FALSE(errors.empty());  // the element's own error first (a base class may add "Failed to start")
  EXPECT_NE(errors[0].find("Property 'bind-port' (\"99\")"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("CAP_NET_BIND_SERVICE"), std::string::npos) << errors[0];
  EXPECT_EQ(errors[0].find("is taken"), std::string::npos) << errors[0];
  gst_object_unref(e);
}

TEST(SinkState, UriWithAPortPerGroupSetsAnElementBackToWhatThisOneDoes) {
  // Brackets only around an IPv6 literal; a list carries its own ports, and the element's port as a key where an
  // entry needs it.
  for (const auto& [groups, want_uri] : std::vector<std::pair<std::string, std::string>>{
           {"239.255.51.5:6001,239.255.51.6:6002", "mcast://239.255.51.5:6001,239.255.51.6:6002?iface=eth1&ttl=3"},
           {"[ff15::51:5]:6001,ff15::51:6", "mcast://[ff15::51:5]:6001,ff15::51:6?port=6100&iface=eth1&ttl=3"},
           {"239.255.51.7:6003", "mcast://239.255.51.7:6003?iface=eth1&ttl=3"}}) {
    GstElement* e = gst_element_factory_make("mcastexpertsink", nullptr);
    g_object_set(e, "groups", groups.c_str(), "port", 6100, "iface", "eth1", "ttl", 3, nullptr);
    gchar* uri = gst_uri_handler_get_uri(GST_URI_HANDLER(e));
    EXPECT_EQ(std::string(uri), want_uri);
    GstElement* copy = gst_element_make_from_uri(GST_URI_SINK, uri, nullptr, nullptr);
    ASSERT_NE(copy, nullptr) << uri;
    gchar* again = gst_uri_handler_get_uri(GST_URI_HANDLER(copy));
    EXPECT_STREQ(again, uri);
    // The same destinations, through the stats of two running sinks.
    auto destinations_of = [](GstElement* sink) {
      std::vector<std::string> out;
      lab::InHost in("rx");
      gst_element_set_state(sink, GST_STATE_PAUSED);
      GstStructure* stats = nullptr;
      g_object_get(sink, "stats", &stats, nullptr);
      const GValue* list = gst_structure_get_value(stats, "destinations");
      for (guint i = 0; i < gst_value_array_get_size(list); ++i)
        out.push_back(
            gst_structure_get_string(gst_value_get_structure(gst_value_array_get_value(list, i)), "destination"));
      gst_structure_free(stats);
      gst_element_set_state(sink, GST_STATE_NULL);
      return out;
    };
    const auto want = destinations_of(e);
    EXPECT_FALSE(want.empty()) << uri;
    EXPECT_EQ(destinations_of(copy), want) << uri;
    g_free(uri);
    g_free(again);
    gst_object_unref(copy);
    gst_object_unref(e);
  }
}

// --- sending never holds up the rest of the element ---

TEST(SinkState, UnlockWakesASendBlockedOnAFullSocketBuffer) {
  // An interface whose queue drains at 8 bit/s: a few datagrams fill the sink's small send buffer, and the next
  // send waits for room.
  run_in("rx",
         "ip link add slow0 type veth peer name slow0p && ip addr add 10.77.60.1/24 dev slow0 && "
         "ip link set slow0 up && ip link set slow0p up && "
         "tc qdisc add dev slow0 root tbf rate 8bit burst 1600 limit 10000000");
  auto h = start_sink("rx", "groups=239.255.52.1 iface=slow0 buffer-size=4096 port=" + std::to_string(next_port()));
  std::vector<std::string> list(256, std::string(1200, 'f'));
  std::atomic<bool> returned{false};
  GstFlowReturn flow = GST_FLOW_OK;
  std::thread pusher([&] {
    flow = h->push_list(list);
    returned = true;
  });
  std::this_thread::sleep_for(300ms);
  const bool blocked = !returned;
  // The stats and the signals answer while the send waits.
  std::atomic<bool> answered{false};
  std::thread reader([&] {
    GstStructure* s = h->stats();
    gst_structure_free(s);
    g_signal_emit_by_name(h->element(), "add", "239.255.52.2", 5004);
    answered = true;
  });
  const auto asked = std::chrono::steady_clock::now();
  while (!answered && std::chrono::steady_clock::now() - asked < 5s) std::this_thread::sleep_for(5ms);
  const bool stats_answered = answered;
  // Stopping wakes the send at once.
  const auto stopping = std::chrono::steady_clock::now();
  gst_element_set_state(h->element(), GST_STATE_NULL);
  const auto stopped_after = std::chrono::steady_clock::now() - stopping;
  const auto wait_end = std::chrono::steady_clock::now() + 5s;
  while (!returned && std::chrono::steady_clock::now() < wait_end) std::this_thread::sleep_for(5ms);
  const bool push_returned = returned;
  if (!push_returned || !stats_answered) {
    ADD_FAILURE() << "a send blocked on a full socket buffer held up "
                  << (!stats_answered ? "stats and signals" : "the state change");
    std::fflush(nullptr);
    std::_Exit(1);  // the threads are stuck for good
  }
  pusher.join();
  reader.join();
  EXPECT_TRUE(blocked) << "the test's send never waited for room: it proves nothing";
  EXPECT_EQ(flow, GST_FLOW_FLUSHING);
  EXPECT_LT(stopped_after, 1s);
  // And it starts again cleanly.
  EXPECT_TRUE(h->play()) << h->error();
  gst_element_set_state(h->element(), GST_STATE_NULL);
  run_in("rx", "ip link del slow0");
}

// --- following interfaces that change while PLAYING ---

// Pushes `payload` every 20 ms until `rx` receives it, or `limit` passes; how long that took.
static std::chrono::milliseconds time_to_arrive(Harness& h, RawReceiver& rx, const std::string& payload,
                                                std::chrono::milliseconds limit = 3000ms) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    h.push(payload);
    bool got = false;
    while (auto r = rx.receive(20ms)) got = got || r->payload == payload;
    if (got) break;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

// Pushes a datagram every 20 ms until a message of `type` with `text` is posted.
static bool push_until_message(Harness& h, GstMessageType type, const std::string& text,
                               std::vector<std::string>& seen) {
  for (int i = 0; i < 100; ++i) {
    h.push("meanwhile");
    if (wait_for_message(h, type, text, seen, 20ms)) return true;
  }
  return false;
}

TEST(SinkFollows, AnInterfaceDeletedAndMadeAgainIsPinnedAgainByName) {
  HotLink hot3("hot3", 65);
  const auto port = next_port();
  auto h = start_sink("rx", "groups=239.255.73.1 iface=hot3 port=" + std::to_string(port));
  {
    RawReceiver before("txa", "239.255.73.1", port, index_in("txa", hot3.peer()));
    EXPECT_LT(time_to_arrive(*h, before, "before"), 1000ms);
  }
  hot3.remove();
  std::vector<std::string> warnings, infos;
  EXPECT_TRUE(push_until_message(*h, GST_MESSAGE_WARNING, "Interface hot3 is gone", warnings));
  EXPECT_GT(h->stat("send-errors"), 0u) << "the datagrams meanwhile are not counted";
  hot3.make();
  RawReceiver after("txa", "239.255.73.1", port, index_in("txa", hot3.peer()));
  EXPECT_LT(time_to_arrive(*h, after, "after"), 1000ms) << "not sending by the new hot3 within a second";
  EXPECT_TRUE(push_until_message(*h, GST_MESSAGE_INFO, "Interface hot3 is recreated: sending by index", infos));
  EXPECT_EQ(h->messages(GST_MESSAGE_ERROR).size(), 0u);
}

TEST(SinkFollows, LinkDownCountsPerInterfaceWarnsAndResumes) {
  HotLink hot4("hot4", 66);
  const auto port = next_port();
  RawReceiver rx("txa", "239.255.73.2", port, index_in("txa", hot4.peer()));
  auto h = start_sink("rx", "groups=239.255.73.2 iface=hot4 port=" + std::to_string(port));
  EXPECT_LT(time_to_arrive(*h, rx, "before"), 1000ms);
  run_in("rx", "ip link set hot4 down");
  std::vector<std::string> warnings, infos;
  EXPECT_TRUE(push_until_message(*h, GST_MESSAGE_WARNING, "Interface hot4 is down", warnings));
  GstStructure* stats = h->stats();
  const GstStructure* iface =
      gst_value_get_structure(gst_value_array_get_value(gst_structure_get_value(stats, "interfaces"), 0));
  guint64 errors = 0;
  gst_structure_get_uint64(iface, "errors", &errors);
  EXPECT_GT(errors, 0u) << "hot4's failed datagrams are not in its interface stats";
  gst_structure_free(stats);
  run_in("rx", "ip link set hot4 up");
  EXPECT_LT(time_to_arrive(*h, rx, "after"), 1000ms);
  EXPECT_TRUE(push_until_message(*h, GST_MESSAGE_INFO, "Interface hot4 is up", infos));
  EXPECT_EQ(h->messages(GST_MESSAGE_ERROR).size(), 0u);
}

// Once the sink says `ifname` is readdressed, what it sends next arrives from `address`.
static void expect_sends_from_after_readdressing(Harness& h, RawReceiver& rx, const std::string& ifname,
                                                 const std::string& address) {
  std::vector<std::string> infos;
  EXPECT_TRUE(push_until_message(h, GST_MESSAGE_INFO, "Interface " + ifname + " is readdressed", infos));
  while (rx.receive(50ms)) {
  }
  h.push("moved");
  auto moved = rx.receive();
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->sender, address);
  EXPECT_EQ(moved->payload, "moved");
}

TEST(SinkFollows, AnAddressChangeMovesTheSourceAddress) {
  HotLink hot5("hot5", 67);
  const auto port = next_port();
  RawReceiver rx("txa", "239.255.73.3", port, index_in("txa", hot5.peer()));
  auto h = start_sink("rx", "groups=239.255.73.3 iface=hot5 port=" + std::to_string(port));
  h->push("from .1");
  auto first = rx.receive();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->sender, hot5.near());
  run_in("rx", "ip addr del 10.77.67.1/24 dev hot5 && ip addr add 10.77.67.9/24 dev hot5");
  expect_sends_from_after_readdressing(*h, rx, "hot5", "10.77.67.9");
}

TEST(SinkFollows, SendingWhileTheAddressIsGoneSaysSo) {
  // Between an address's removal and the new one (a DHCP renewal, a re-addressing), sends fail; the warning says
  // that it is the address, not the network, and the sink goes on by itself.
  HotLink hot6("hot6", 68);
  const auto port = next_port();
  RawReceiver rx("txa", "239.255.73.4", port, index_in("txa", hot6.peer()));
  auto h = start_sink("rx", "groups=239.255.73.4 iface=hot6 port=" + std::to_string(port));
  h->push("before");
  ASSERT_TRUE(rx.receive().has_value());
  run_in("rx", "ip addr del 10.77.68.1/24 dev hot6");
  std::vector<std::string> warnings;
  EXPECT_TRUE(push_until_message(*h, GST_MESSAGE_WARNING, "is no longer on hot6", warnings));
  bool said_source = false;
  for (const auto& w : warnings)
    said_source |= w.find("its source address 10.77.68.1 is no longer on hot6") != std::string::npos;
  EXPECT_TRUE(said_source) << (warnings.empty() ? "" : warnings.back());
  run_in("rx", "ip addr add 10.77.68.9/24 dev hot6");
  expect_sends_from_after_readdressing(*h, rx, "hot6", "10.77.68.9");
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new et::GstEnvironment);
  lab::InHost in("rx");
  // For the error cases: a down interface, one without MULTICAST, one with no address, an address on two.
  if (std::system("ip link add down0 type veth peer name down0p && ip link add nomc0 type veth peer name nomc0p && "
                  "ip link set nomc0 multicast off && ip link set nomc0 up && "
                  "ip link add noaddr0 type veth peer name noaddr0p && ip link set noaddr0 up && "
                  "ip -6 addr flush dev noaddr0 && "
                  "ip addr add 10.77.9.9/32 dev eth0 && ip addr add 10.77.9.9/32 dev eth1") != 0)
    return 1;
  return RUN_ALL_TESTS();
}
