// SinkState: mcastexpertsink in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B (with
// txb); rx's default route is eth0. Receivers are plain sockets (and mcastexpertsrc for the round trip).
#include "sink_lab.hpp"

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

int main(int argc, char** argv) {
  return run_sink_lab(argc, argv);
}
