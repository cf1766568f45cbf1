// SinkFollows: mcastexpertsink in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B
// (with txb); rx's default route is eth0. Receivers are plain sockets (and mcastexpertsrc for the round trip).
#include "sink_lab.hpp"

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
  return run_sink_lab(argc, argv);
}
