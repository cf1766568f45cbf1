// Sink: mcastexpertsink in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B (with txb);
// rx's default route is eth0. Receivers are plain sockets (and mcastexpertsrc for the round trip).
#include "sink_lab.hpp"

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

int main(int argc, char** argv) {
  return run_sink_lab(argc, argv);
}
