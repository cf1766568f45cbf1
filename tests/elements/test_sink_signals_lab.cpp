// SinkSignals: mcastexpertsink in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B
// (with txb); rx's default route is eth0. Receivers are plain sockets (and mcastexpertsrc for the round trip).
#include "sink_lab.hpp"

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

int main(int argc, char** argv) {
  return run_sink_lab(argc, argv);
}
