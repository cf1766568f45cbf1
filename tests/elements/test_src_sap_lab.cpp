// SrcSap: streams announced by SAP (RFC 2974), found by name in the multihomed lab (rx: eth0 on LAN A with txa, eth1
// on LAN B with txb) — mcastexpertsrc's sap-session and sap:// URIs, and the device provider. The announcements are
// written here byte by byte as RFC 2974 lays them out (so the listener is checked against the RFC, not against our
// own announcer), or sent by mcastexpertsink sap=true and FFmpeg's SAP muxer.
#include <arpa/inet.h>

#include <thread>

#include "src_lab.hpp"

namespace {

constexpr char kSapGroup[] = "239.255.255.255";
constexpr uint16_t kSapPort = 9875;

// An AES67-style audio session: one stream of `encoding`/48000/2 on group:port, payload type 97.
std::string audio_sdp(const std::string& origin, int version, const std::string& name, const std::string& group,
                      uint16_t port, const std::string& encoding = "L24") {
  const char* ip = is_v6(group) ? "IP6" : "IP4";
  return "v=0\r\no=- 4711 " + std::to_string(version) + " IN " + (is_v6(origin) ? "IP6 " : "IP4 ") + origin +
         "\r\ns=" + name + "\r\nc=IN " + ip + " " + group + (is_v6(group) ? "" : "/1") + "\r\nt=0 0\r\nm=audio " +
         std::to_string(port) + " RTP/AVP 97\r\na=rtpmap:97 " + encoding + "/48000/2\r\n";
}

// A device on a lab host's eth0 (LAN A for txa, LAN B for txb): announces by SAP and sends the stream.
class Device {
 public:
  explicit Device(const std::string& host, bool v6 = false)
      : origin_(F((prefix(host) + (v6 ? "IPV6" : "IPV4")).c_str())),
        tx_(host, origin_, I((prefix(host) + "INDEX").c_str())),
        ifindex_(I((prefix(host) + "INDEX").c_str())) {}
  const std::string& origin() const { return origin_; }

  void announce(const std::string& sdp, uint16_t hash, bool deletion = false) {
    if (is_v6(origin_))
      tx_.send("ff02::2:7ffe", kSapPort, sap_packet(origin_, hash, sdp, deletion), ifindex_);
    else
      tx_.send(kSapGroup, kSapPort, sap_packet(origin_, hash, sdp, deletion));
  }
  void send(const std::string& group, uint16_t port, uint16_t seq) {
    tx_.send(group, port, rtp_packet(97, seq, std::string(24, 'a')));
  }

 private:
  static std::string prefix(const std::string& host) { return host == "txa" ? "TXA_ETH0_" : "TXB_ETH0_"; }
  std::string origin_;
  RawSender tx_;
  unsigned ifindex_;
};

// A source on rx set to `session` (and `props`), PLAYING: listening from here on.
std::unique_ptr<Harness> listening_source(const std::string& session, const std::string& props = "") {
  auto h = std::make_unique<Harness>("rx", src(props),
                                     [&](GstElement* e) { g_object_set(e, "sap-session", session.c_str(), nullptr); });
  if (!h->play()) throw std::runtime_error("the source did not start: " + h->error());
  return h;
}

// The first element message named `name` posted within `limit` whose `event` field (if `event` is given) says so;
// others of that name are dropped. The caller frees it; nullptr if none came.
GstStructure* wait_message(Harness& h, const char* name, const char* event = nullptr,
                           std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    GstStructure* found = nullptr;
    for (GstStructure* s : h.element_messages(name)) {
      if (found == nullptr && (event == nullptr || g_strcmp0(gst_structure_get_string(s, "event"), event) == 0))
        found = s;
      else
        gst_structure_free(s);
    }
    if (found != nullptr) return found;
    std::this_thread::sleep_for(20ms);
  }
  return nullptr;
}

std::string field(const GstStructure* s, const char* name) {
  const char* v = s != nullptr ? gst_structure_get_string(s, name) : nullptr;
  return v != nullptr ? v : "";
}

std::string encoding_of(Harness& h) {
  GstPad* pad = gst_element_get_static_pad(h.element(), "src");
  GstCaps* caps = gst_pad_get_current_caps(pad);
  gst_object_unref(pad);
  if (caps == nullptr) return "";
  const std::string out = field(gst_caps_get_structure(caps, 0), "encoding-name");
  gst_caps_unref(caps);
  return out;
}

// Whether rx has joined `group`, as the kernel lists it: /proc/net/igmp shows an IPv4 group as the hex of the address
// in host order, /proc/net/igmp6 an IPv6 one as 32 hex digits.
bool rx_joined(const std::string& group) {
  char hex[33] = {};
  if (is_v6(group)) {
    unsigned char a[16];
    inet_pton(AF_INET6, group.c_str(), a);
    for (int i = 0; i < 16; ++i) std::snprintf(hex + 2 * i, 3, "%02x", a[i]);
  } else {
    in_addr a{};
    inet_pton(AF_INET, group.c_str(), &a);
    std::snprintf(hex, sizeof hex, "%08X", a.s_addr);
  }
  return memberships_of("rx").find(hex) != std::string::npos;
}

// Waits (up to 5 s) until rx has joined `group` (or, with `joined` false, left it): the streaming thread makes and
// drops the receiver a moment after the message that says why.
bool wait_joined(const std::string& group, bool joined = true) {
  for (int i = 0; i < 250; ++i, std::this_thread::sleep_for(20ms))
    if (rx_joined(group) == joined) return true;
  return false;
}

// Sends seq from..to-1 to group:port from `device`, and what the source delivered.
std::vector<std::string> stream(Harness& h, Device& device, const std::string& group, uint16_t port, uint16_t from,
                                uint16_t to) {
  for (uint16_t s = from; s < to; ++s) device.send(group, port, s);
  return h.drain();
}

std::vector<std::string> packets(uint16_t from, uint16_t to) {
  std::vector<std::string> out;
  for (uint16_t s = from; s < to; ++s) out.push_back(rtp_packet(97, s, std::string(24, 'a')));
  return out;
}

// The first device-added (or -removed) message on `bus` within `limit`, its device (the caller unrefs), or nullptr.
GstDevice* device_message(GstBus* bus, GstMessageType type, std::chrono::milliseconds limit) {
  GstMessage* m = gst_bus_timed_pop_filtered(bus, static_cast<GstClockTime>(limit.count()) * GST_MSECOND, type);
  if (m == nullptr) return nullptr;
  GstDevice* device = nullptr;
  if (type == GST_MESSAGE_DEVICE_ADDED)
    gst_message_parse_device_added(m, &device);
  else
    gst_message_parse_device_removed(m, &device);
  gst_message_unref(m);
  return device;
}

// A device monitor of announced streams, listening on rx.
GstDeviceMonitor* monitor_on_rx() {
  GstDeviceMonitor* monitor = gst_device_monitor_new();
  gst_device_monitor_add_filter(monitor, "Source/Network", nullptr);
  lab::InHost in("rx");  // the provider's listener thread is made here, on rx
  if (!gst_device_monitor_start(monitor)) throw std::runtime_error("the device monitor did not start");
  return monitor;
}

}  // namespace

TEST(SrcSap, FindsTheSessionByNameAndReceivesWhatItsSdpDescribesWhereItWasHeard) {
  const uint16_t port = next_port();
  auto h = listening_source("Lab A");
  Device txa("txa");
  txa.announce(audio_sdp(txa.origin(), 1, "Other", "239.59.0.2", port), 0x1111);
  txa.announce(audio_sdp(txa.origin(), 1, "Lab A", "239.59.0.1", port), 0x2222);
  GstStructure* found = wait_message(*h, "McastExpertSapSession", "found");
  ASSERT_NE(found, nullptr) << "no McastExpertSapSession found message";
  EXPECT_EQ(field(found, "session"), "Lab A");
  EXPECT_EQ(field(found, "iface"), "eth0");
  EXPECT_EQ(field(found, "origin"), txa.origin());
  EXPECT_EQ(field(found, "sap-group"), kSapGroup);
  EXPECT_NE(field(found, "sdp").find("c=IN IP4 239.59.0.1"), std::string::npos);
  gst_structure_free(found);
  ASSERT_TRUE(wait_joined("239.59.0.1"));  // the streaming thread joins
  // Its group arrives; the other session's, on the same port, does not.
  for (uint16_t s = 1; s < 4; ++s) txa.send("239.59.0.2", port, s);
  EXPECT_EQ(stream(*h, txa, "239.59.0.1", port, 10, 14), packets(10, 14));
  EXPECT_EQ(encoding_of(*h), "L24") << "the caps are the SDP's";
  EXPECT_TRUE(rx_joined("239.59.0.1"));
  EXPECT_FALSE(rx_joined("239.59.0.2"));
  gchar* uri = nullptr;
  g_object_get(h->element(), "uri", &uri, nullptr);
  EXPECT_STREQ(uri, "sap://?session=Lab%20A");
  g_free(uri);
}

TEST(SrcSap, FollowsAnUpdatedAnnouncementWithoutLeavingPlayingAndWaitsAgainAfterTheDeletion) {
  const uint16_t port = next_port();
  auto h = listening_source("Moving");
  Device txa("txa");
  const std::string v1 = audio_sdp(txa.origin(), 1, "Moving", "239.59.1.1", port, "L24");
  txa.announce(v1, 0x0101);
  GstStructure* m = wait_message(*h, "McastExpertSapSession", "found");
  ASSERT_NE(m, nullptr);
  gst_structure_free(m);
  ASSERT_TRUE(wait_joined("239.59.1.1"));
  EXPECT_EQ(stream(*h, txa, "239.59.1.1", port, 1, 4), packets(1, 4));
  EXPECT_EQ(encoding_of(*h), "L24");

  // Version 2: another group and another payload. The source leaves the old group, joins the new one and
  // renegotiates, still PLAYING.
  const std::string v2 = audio_sdp(txa.origin(), 2, "Moving", "239.59.1.2", port, "L16");
  txa.announce(v2, 0x0202);
  m = wait_message(*h, "McastExpertSapSession", "updated");
  ASSERT_NE(m, nullptr) << "no updated message";
  EXPECT_NE(field(m, "sdp").find("239.59.1.2"), std::string::npos);
  gst_structure_free(m);
  ASSERT_TRUE(wait_joined("239.59.1.2"));
  for (uint16_t s = 20; s < 23; ++s) txa.send("239.59.1.1", port, s);  // the old group: left
  EXPECT_EQ(stream(*h, txa, "239.59.1.2", port, 30, 33), packets(30, 33));
  EXPECT_EQ(encoding_of(*h), "L16") << "caps renegotiated to the update's";
  EXPECT_FALSE(rx_joined("239.59.1.1"));
  EXPECT_TRUE(rx_joined("239.59.1.2"));
  EXPECT_EQ(GST_STATE(h->element()), GST_STATE_PLAYING);

  // A replayed older announcement changes nothing.
  txa.announce(v1, 0x0101);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(stream(*h, txa, "239.59.1.2", port, 40, 42), packets(40, 42));

  // The deletion: a message, the group left, nothing delivered — and the source waits for it to come back.
  txa.announce(v2, 0x0202, true);
  m = wait_message(*h, "McastExpertSapSession", "deleted");
  ASSERT_NE(m, nullptr) << "no deleted message";
  EXPECT_EQ(field(m, "session"), "Moving");
  EXPECT_NE(field(m, "reason"), "");
  gst_structure_free(m);
  ASSERT_TRUE(wait_joined("239.59.1.2", false));
  EXPECT_TRUE(stream(*h, txa, "239.59.1.2", port, 50, 53).empty());
  EXPECT_EQ(GST_STATE(h->element()), GST_STATE_PLAYING);
  txa.announce(audio_sdp(txa.origin(), 3, "Moving", "239.59.1.2", port, "L16"), 0x0303);
  m = wait_message(*h, "McastExpertSapSession", "found");
  ASSERT_NE(m, nullptr) << "the session came back, but was not found again";
  gst_structure_free(m);
  ASSERT_TRUE(wait_joined("239.59.1.2"));
  EXPECT_EQ(stream(*h, txa, "239.59.1.2", port, 60, 63), packets(60, 63));
}

TEST(SrcSap, WhileNothingMatchesItNamesTheSessionsItHears) {
  auto h = listening_source("Studio 1");
  Device txa("txa");
  const uint16_t port = next_port();
  txa.announce(audio_sdp(txa.origin(), 1, "Studio1", "239.59.2.1", port), 0x0a0a);
  GstStructure* waiting = nullptr;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  // The first message may name no session yet; the one after the announcement names it.
  while (waiting == nullptr && std::chrono::steady_clock::now() < deadline) {
    GstStructure* s = wait_message(*h, "McastExpertSapWaiting", nullptr, 1000ms);
    if (s == nullptr) continue;
    const GValue* heard = gst_structure_get_value(s, "heard");
    if (heard != nullptr && gst_value_array_get_size(heard) > 0)
      waiting = s;
    else
      gst_structure_free(s);
  }
  ASSERT_NE(waiting, nullptr) << "no McastExpertSapWaiting message naming what was heard";
  EXPECT_EQ(field(waiting, "session"), "Studio 1");
  const GValue* heard = gst_structure_get_value(waiting, "heard");
  ASSERT_EQ(gst_value_array_get_size(heard), 1u);
  EXPECT_STREQ(g_value_get_string(gst_value_array_get_value(heard, 0)), "'Studio1' on eth0");
  gst_structure_free(waiting);
  std::string infos;
  for (int i = 0; i < 50 && infos.empty(); ++i, std::this_thread::sleep_for(20ms))  // posted just after the message
    for (const auto& text : h->messages(GST_MESSAGE_INFO)) infos += text + "\n";
  EXPECT_NE(infos.find("No SAP session named 'Studio 1' yet; heard: 'Studio1' on eth0"), std::string::npos)
      << "no info message naming the sessions heard: " << infos;
  for (uint16_t s = 1; s < 4; ++s) txa.send("239.59.2.1", port, s);
  EXPECT_TRUE(h->drain().empty()) << "a session of another name was received";
}

TEST(SrcSap, WhileWaitingForTheSessionTheTimeoutMessageFallsDueAsForASilentGroup) {
  auto h = listening_source("Never announced", "timeout=200000000");
  GstStructure* m = wait_message(*h, "GstUDPSrcTimeout", nullptr, 2000ms);
  ASSERT_NE(m, nullptr) << "no GstUDPSrcTimeout while nothing was announced";
  guint64 timeout = 0;
  EXPECT_TRUE(gst_structure_get_uint64(m, "timeout", &timeout));
  EXPECT_EQ(timeout, 200000000u);
  gst_structure_free(m);
}

TEST(SrcSap, TwoSendersWithTheSameNameOnTwoNetworksEachReceiverGetsTheOneOnItsInterface) {
  const uint16_t port = next_port();
  auto on_a = listening_source("Same name", "iface=eth0");
  auto on_b = listening_source("Same name", "iface=eth1");
  Device txa("txa"), txb("txb");
  txa.announce(audio_sdp(txa.origin(), 1, "Same name", "239.59.3.1", port), 0x3131);
  txb.announce(audio_sdp(txb.origin(), 1, "Same name", "239.59.3.2", port), 0x3232);
  GstStructure* a = wait_message(*on_a, "McastExpertSapSession", "found");
  GstStructure* b = wait_message(*on_b, "McastExpertSapSession", "found");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(field(a, "origin"), txa.origin());
  EXPECT_EQ(field(a, "iface"), "eth0");
  EXPECT_EQ(field(b, "origin"), txb.origin());
  EXPECT_EQ(field(b, "iface"), "eth1");
  gst_structure_free(a);
  gst_structure_free(b);
  ASSERT_TRUE(wait_joined("239.59.3.1") && wait_joined("239.59.3.2"));
  for (uint16_t s = 1; s < 4; ++s) {
    txa.send("239.59.3.1", port, s);
    txb.send("239.59.3.2", port, static_cast<uint16_t>(s + 100));
  }
  EXPECT_EQ(on_a->drain(), packets(1, 4));
  EXPECT_EQ(on_b->drain(), packets(101, 104));
}

TEST(SrcSap, ASourceThatHearsTheNameOnTwoNetworksReceivesTheFirstAndSaysHowToChoose) {
  const uint16_t port = next_port();
  auto both = listening_source("Twice");  // every interface: LAN A and LAN B
  Device txa("txa"), txb("txb");
  txa.announce(audio_sdp(txa.origin(), 1, "Twice", "239.59.9.1", port), 0x4141);
  GstStructure* found = wait_message(*both, "McastExpertSapSession", "found");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(field(found, "iface"), "eth0");
  gst_structure_free(found);
  txb.announce(audio_sdp(txb.origin(), 1, "Twice", "239.59.9.2", port), 0x4242);
  std::string warnings;
  for (int i = 0; i < 100 && warnings.empty(); ++i, std::this_thread::sleep_for(20ms))
    for (const auto& w : both->messages(GST_MESSAGE_WARNING)) warnings += w + "\n";
  EXPECT_NE(warnings.find("Another SAP session is named 'Twice' (from " + txb.origin() +
                          " on eth1); receiving the one "
                          "from " +
                          txa.origin() + " on eth0"),
            std::string::npos)
      << warnings;
  ASSERT_TRUE(wait_joined("239.59.9.1"));
  EXPECT_EQ(stream(*both, txa, "239.59.9.1", port, 1, 4), packets(1, 4));
}

TEST(SrcSap, AnIpv6AnnouncementOnTheLinkScopeSapGroupIsHeardByDefault) {
  const uint16_t port = next_port();
  auto h = listening_source("Six", "iface=eth0");
  Device txa("txa", true);
  txa.announce(audio_sdp(txa.origin(), 1, "Six", "ff15::59:1", port), 0x6666);
  GstStructure* m = wait_message(*h, "McastExpertSapSession", "found");
  ASSERT_NE(m, nullptr) << "nothing heard on ff02::2:7ffe";
  EXPECT_EQ(field(m, "sap-group"), "ff02::2:7ffe");
  EXPECT_EQ(field(m, "origin"), txa.origin());
  gst_structure_free(m);
  ASSERT_TRUE(wait_joined("ff15::59:1"));
  EXPECT_EQ(stream(*h, txa, "ff15::59:1", port, 1, 4), packets(1, 4));
}

TEST(SrcSap, AnInterfaceThatGainsIpv6LaterIsListenedOnForIpv6Announcements) {
  // eth1 (LAN B) without IPv6 when the source starts: its IPv6 SAP listener is on eth0 alone.
  run_in("rx", "sysctl -qw net.ipv6.conf.eth1.disable_ipv6=1");
  auto h = listening_source("Six later");
  run_in("rx",
         "sysctl -qw net.ipv6.conf.eth1.disable_ipv6=0 && ip -6 addr add " + F("RX_ETH1_IPV6") + "/64 dev eth1 nodad");
  Device txb("txb", true);
  const uint16_t port = next_port();
  GstStructure* m = nullptr;
  for (int i = 0; i < 25 && m == nullptr; ++i) {  // until the listener has followed the change
    txb.announce(audio_sdp(txb.origin(), 1, "Six later", "ff15::59:2", port), 0x6262);
    m = wait_message(*h, "McastExpertSapSession", "found", 200ms);
  }
  ASSERT_NE(m, nullptr) << "an announcement on the interface that gained IPv6 was not heard";
  EXPECT_EQ(field(m, "iface"), "eth1");
  gst_structure_free(m);
}

TEST(SrcSap, ASapUriOpensTheFirstSessionHeardInUridecodebin) {
  // A real sender this time: mcastexpertsink announcing its own L24 stream on LAN A.
  Pipeline sender(
      "audiotestsrc is-live=true ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! rtpL24pay ! "
      "mcastexpertsink groups=239.59.5.1:5070 iface=eth0 sap=true sap-interval=1 session-name=UriStream");
  ASSERT_TRUE(sender.set_state("txa", GST_STATE_PLAYING));
  GstElement* made = gst_element_make_from_uri(GST_URI_SRC, "sap://", nullptr, nullptr);
  ASSERT_NE(made, nullptr) << "no element for sap://";
  EXPECT_STREQ(GST_OBJECT_NAME(gst_element_get_factory(made)), "mcastexpertsrc");
  gst_object_unref(made);
  Pipeline p("uridecodebin uri=sap://239.255.255.255 ! audioconvert ! fakesink name=out signal-handoffs=true");
  std::atomic<int> decoded{0};
  g_signal_connect(p.by_name("out"), "handoff", G_CALLBACK(+[](GstElement*, GstBuffer*, GstPad*, gpointer n) {
                     ++*static_cast<std::atomic<int>*>(n);
                   }),
                   &decoded);
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  for (int i = 0; i < 200 && decoded < 20; ++i) std::this_thread::sleep_for(25ms);
  EXPECT_GE(decoded.load(), 20) << "uridecodebin decoded nothing from sap://";
  p.set_state("rx", GST_STATE_NULL);
}

TEST(SrcSap, FfmpegsAnnouncementIsFoundByNameAndBySapUriAndItsDeletionIsSeen) {
  if (std::system("command -v ffmpeg >/dev/null") != 0)
    GTEST_FAIL() << "ffmpeg is not installed (scripts/test installs it)";
  auto by_name = listening_source("FFmpeg tone");
  auto by_uri = std::make_unique<Harness>("rx", "mcastexpertsrc uri=sap://224.2.127.254");
  ASSERT_TRUE(by_uri->play()) << by_uri->error();
  GstDeviceMonitor* monitor = monitor_on_rx();
  GstBus* bus = gst_device_monitor_get_bus(monitor);
  // FFmpeg's SAP muxer: announces on 224.2.127.254 (its default) and sends the deletion when it ends.
  std::thread ffmpeg([] {
    run_in("txa",
           "ffmpeg -hide_banner -loglevel error -re -f lavfi -i sine=sample_rate=48000 -t 5 -c:a pcm_s16be "
           "-metadata title='FFmpeg tone' -f sap 'sap://239.59.6.1:5080?ttl=1' >/dev/null 2>&1");
  });
  GstStructure* found = wait_message(*by_name, "McastExpertSapSession", "found");
  ASSERT_NE(found, nullptr) << "FFmpeg's announcement was not found by name";
  EXPECT_EQ(field(found, "sap-group"), "224.2.127.254");
  gst_structure_free(found);
  GstBuffer* first = by_name->pull(3000ms);
  EXPECT_NE(first, nullptr) << "nothing received from FFmpeg's stream";
  if (first != nullptr) gst_buffer_unref(first);
  EXPECT_EQ(encoding_of(*by_name), "L16");
  GstBuffer* by_uri_first = by_uri->pull(3000ms);
  EXPECT_NE(by_uri_first, nullptr) << "sap://224.2.127.254 received nothing";
  if (by_uri_first != nullptr) gst_buffer_unref(by_uri_first);
  // The device provider lists it, as gst-device-monitor-1.0 would show it.
  GstDevice* device = device_message(bus, GST_MESSAGE_DEVICE_ADDED, 3000ms);
  ASSERT_NE(device, nullptr) << "the device provider did not list FFmpeg's announcement";
  gchar* name = gst_device_get_display_name(device);
  EXPECT_STREQ(name, "FFmpeg tone");
  g_free(name);
  ffmpeg.join();
  // FFmpeg's deletion, at its end, removes it everywhere.
  GstStructure* deleted = wait_message(*by_name, "McastExpertSapSession", "deleted", 5000ms);
  EXPECT_NE(deleted, nullptr) << "FFmpeg's deletion was not seen";
  if (deleted != nullptr) gst_structure_free(deleted);
  GstDevice* removed = device_message(bus, GST_MESSAGE_DEVICE_REMOVED, 5000ms);
  EXPECT_EQ(removed, device) << "the deletion did not remove the device";
  if (removed != nullptr) gst_object_unref(removed);
  gst_object_unref(device);
  gst_object_unref(bus);
  gst_device_monitor_stop(monitor);
  gst_object_unref(monitor);
}

TEST(SrcSap, ASessionThatFallsSilentExpiresAndTheSourceLeavesItsGroups) {
  const uint16_t port = next_port();
  auto h = listening_source("Fading");
  Device txa("txa");
  const std::string sdp = audio_sdp(txa.origin(), 1, "Fading", "239.59.8.1", port);
  // Announced twice, a second apart: a period of 1 s, so ten periods of silence are within the 30 s floor.
  txa.announce(sdp, 0x0808);
  GstStructure* m = wait_message(*h, "McastExpertSapSession", "found");
  ASSERT_NE(m, nullptr);
  gst_structure_free(m);
  std::this_thread::sleep_for(1000ms);
  txa.announce(sdp, 0x0808);
  EXPECT_EQ(stream(*h, txa, "239.59.8.1", port, 1, 4), packets(1, 4));
  // Then nothing: the announcer vanished without a deletion (a pulled cable, a crash).
  m = wait_message(*h, "McastExpertSapSession", "expired", 35000ms);
  ASSERT_NE(m, nullptr) << "the silent session did not expire";
  EXPECT_EQ(field(m, "session"), "Fading");
  EXPECT_NE(field(m, "reason").find("no announcement"), std::string::npos) << field(m, "reason");
  gst_structure_free(m);
  ASSERT_TRUE(wait_joined("239.59.8.1", false));
  EXPECT_TRUE(stream(*h, txa, "239.59.8.1", port, 10, 13).empty());
}

TEST(SrcSap, StartingAndStoppingWithASessionLeavesNothingBehind) {
  Pipeline p("mcastexpertsrc sap-session=Nobody iface=eth0 ! fakesink");
  expect_cycles_leave_nothing_behind(p, "rx", lifetime_rounds(100, 1000), GST_STATE_NULL, GST_STATE_PLAYING, true);
}

TEST(SrcSap, WhatCannotGoWithASessionIsRefusedNamingIt) {
  Harness both("rx", "mcastexpertsrc groups=239.59.7.1",
               [](GstElement* e) { g_object_set(e, "sap-session", "X", nullptr); });
  EXPECT_FALSE(both.play());
  EXPECT_NE(both.error().find("sap-session and groups are both set"), std::string::npos);
  Harness bad_group("rx", "mcastexpertsrc sap-session=X sap-group=10.1.1.1");
  EXPECT_FALSE(bad_group.play());
  EXPECT_NE(bad_group.error().find("sap-group"), std::string::npos);
  Harness bad_iface("rx", "mcastexpertsrc sap-session=X iface=eth9");
  EXPECT_FALSE(bad_iface.play());
  EXPECT_NE(bad_iface.error().find("eth9"), std::string::npos);
  GstElement* sink = gst_element_factory_make("mcastexpertsink", nullptr);
  GError* err = nullptr;
  EXPECT_FALSE(gst_uri_handler_set_uri(GST_URI_HANDLER(sink), "sap://239.255.255.255", &err));
  ASSERT_NE(err, nullptr);
  EXPECT_NE(std::string(err->message).find("sap"), std::string::npos) << err->message;
  g_clear_error(&err);
  gst_object_unref(sink);
}

TEST(SrcSap, TheDeviceProviderListsAnAnnouncedStreamAndMakesASourcePinnedWhereItWasHeard) {
  GstDeviceMonitor* monitor = monitor_on_rx();
  GstBus* bus = gst_device_monitor_get_bus(monitor);
  // An announced stream on LAN A (rx eth0): an AES67-style sink with sap=true on txa.
  auto sender = std::make_unique<Pipeline>(
      "audiotestsrc is-live=true ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! "
      "rtpL24pay min-ptime=1000000 max-ptime=1000000 ! mcastexpertsink sync=true groups=239.57.0.1:5060 iface=eth0 "
      "sap=true sap-interval=1 session-name=\"Lab stream\"");
  ASSERT_TRUE(sender->set_state("txa", GST_STATE_PLAYING));
  GstDevice* device = device_message(bus, GST_MESSAGE_DEVICE_ADDED, 10000ms);
  ASSERT_NE(device, nullptr) << "no device for the announced stream";
  gchar* name = gst_device_get_display_name(device);
  EXPECT_STREQ(name, "Lab stream");
  g_free(name);
  EXPECT_TRUE(gst_device_has_classes(device, "Audio/Source/Network"));
  GstStructure* props = gst_device_get_properties(device);
  EXPECT_STREQ(gst_structure_get_string(props, "iface"), "eth0");
  EXPECT_STREQ(gst_structure_get_string(props, "groups"), "239.57.0.1");
  EXPECT_STREQ(gst_structure_get_string(props, "origin"), F("TXA_ETH0_IPV4").c_str());
  EXPECT_STREQ(gst_structure_get_string(props, "sap-group"), "239.255.255.255");
  gst_structure_free(props);
  GstCaps* caps = gst_device_get_caps(device);
  EXPECT_NE(std::string(gst_structure_get_string(gst_caps_get_structure(caps, 0), "encoding-name")), "");
  gst_caps_unref(caps);
  // The element it makes receives the stream, pinned to the interface it was heard on.
  GstElement* made = gst_device_create_element(device, "from-device");
  ASSERT_NE(made, nullptr);
  gchar* iface = nullptr;
  g_object_get(made, "iface", &iface, nullptr);
  EXPECT_STREQ(iface, "eth0");
  g_free(iface);
  {
    GstElement* pipeline = gst_pipeline_new(nullptr);
    GstElement* sink = gst_element_factory_make("fakesink", nullptr);
    g_object_set(sink, "signal-handoffs", TRUE, "sync", FALSE, nullptr);
    std::atomic<int> got{0};
    g_signal_connect(
        sink, "handoff",
        G_CALLBACK(+[](GstElement*, GstBuffer*, GstPad*, gpointer n) { ++*static_cast<std::atomic<int>*>(n); }), &got);
    gst_bin_add_many(GST_BIN(pipeline), made, sink, nullptr);
    ASSERT_TRUE(gst_element_link(made, sink));
    {
      lab::InHost in("rx");
      ASSERT_NE(gst_element_set_state(pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    }
    for (int i = 0; i < 100 && got < 10; ++i) std::this_thread::sleep_for(20ms);
    EXPECT_GE(got.load(), 10) << "the device's source received nothing";
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
  }
  // The sender stops: its deletion removes the device.
  sender.reset();
  GstDevice* removed = device_message(bus, GST_MESSAGE_DEVICE_REMOVED, 5000ms);
  ASSERT_NE(removed, nullptr) << "the deletion did not remove the device";
  EXPECT_EQ(removed, device);
  gst_object_unref(removed);
  gst_object_unref(device);
  gst_object_unref(bus);
  gst_device_monitor_stop(monitor);
  gst_object_unref(monitor);
}

int main(int argc, char** argv) {
  return run_src_lab(argc, argv);
}
