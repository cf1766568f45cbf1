// Redundant streams over two networks, in the lab's redundant topology: tx and rx share a red network (both eth0)
// and a blue one (both eth1). Per-leg pinning in both elements, and mcastexpertsrc merging the two copies of an RTP
// stream (SMPTE ST 2022-7). The senders are plain sockets on tx, one per network, so loss and delay are the test's
// own; the round trip adds token-bucket qdiscs that drop what exceeds their rate.
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <iterator>
#include <map>
#include <ostream>
#include <random>
#include <set>

#include "element_test.hpp"

using namespace et;

namespace {

constexpr const char* kRedGroup = "239.255.60.1";
constexpr const char* kBlueGroup = "239.255.60.2";

struct Rtp {
  uint32_t ssrc;
  uint16_t seq;
  uint32_t ts;
  friend bool operator<(const Rtp& a, const Rtp& b) {
    return std::tie(a.ssrc, a.seq, a.ts) < std::tie(b.ssrc, b.seq, b.ts);
  }
  // Printed by its fields (gtest would dump the struct's bytes, padding included).
  friend std::ostream& operator<<(std::ostream& out, const Rtp& r) {
    return out << "{ssrc " << r.ssrc << ", seq " << r.seq << ", ts " << r.ts << "}";
  }
  friend bool operator==(const Rtp& a, const Rtp& b) { return !(a < b) && !(b < a); }
};

std::string rtp_packet(const Rtp& p, size_t payload = 100) {
  std::string out(12 + payload, '\0');
  out[0] = static_cast<char>(0x80);
  out[1] = 96;
  out[2] = static_cast<char>(p.seq >> 8);
  out[3] = static_cast<char>(p.seq);
  for (int i = 0; i < 4; ++i) {
    out[4 + i] = static_cast<char>(p.ts >> (24 - 8 * i));
    out[8 + i] = static_cast<char>(p.ssrc >> (24 - 8 * i));
  }
  for (size_t i = 12; i < out.size(); ++i) out[i] = static_cast<char>(p.seq + i);
  return out;
}

Rtp rtp_of(const std::string& bytes) {
  auto u8 = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes.at(i))); };
  return {u8(8) << 24 | u8(9) << 16 | u8(10) << 8 | u8(11), static_cast<uint16_t>(u8(2) << 8 | u8(3)),
          u8(4) << 24 | u8(5) << 16 | u8(6) << 8 | u8(7)};
}

// The two senders on tx: red by eth0, blue by eth1.
struct Legs {
  RawSender red{"tx", F("TX_ETH0_IPV4"), I("TX_ETH0_INDEX")};
  RawSender blue{"tx", F("TX_ETH1_IPV4"), I("TX_ETH1_INDEX")};
};

std::vector<Rtp> rtp_drain(Harness& h, std::chrono::milliseconds quiet = 400ms) {
  std::vector<Rtp> out;
  for (const auto& bytes : h.drain(quiet)) out.push_back(rtp_of(bytes));
  return out;
}

std::string merging_src(uint16_t port, const std::string& more = "") {
  return "mcastexpertsrc redundancy=st2022-7 groups=" + std::string(kRedGroup) + "@eth0," + kBlueGroup +
         "@eth1 port=" + std::to_string(port) + (more.empty() ? "" : " " + more);
}

const GstStructure* leg_stats(const GstStructure* stats, guint index) {
  return gst_value_get_structure(gst_value_array_get_value(gst_structure_get_value(stats, "legs"), index));
}

guint64 leg_field(const GstStructure* stats, guint index, const char* field) {
  guint64 v = 0;
  gst_structure_get_uint64(leg_stats(stats, index), field, &v);
  return v;
}

// Sends each packet of `stream` on red unless `lost_red` says so and on blue unless `lost_blue` does, the blue
// copy `blue_delay` after the red one, at `rate` packets per second.
void send_both(Legs& legs, uint16_t port, const std::vector<Rtp>& stream, const std::vector<bool>& lost_red,
               const std::vector<bool>& lost_blue, std::chrono::milliseconds blue_delay = 0ms, int rate = 2000,
               uint16_t blue_port = 0) {
  struct Send {
    std::chrono::steady_clock::duration at;
    bool red;
    size_t index;
  };
  std::vector<Send> plan;
  const auto period = std::chrono::nanoseconds(1000000000 / rate);
  for (size_t i = 0; i < stream.size(); ++i) {
    if (!lost_red[i]) plan.push_back({period * static_cast<long>(i), true, i});
    if (!lost_blue[i]) plan.push_back({period * static_cast<long>(i) + blue_delay, false, i});
  }
  std::stable_sort(plan.begin(), plan.end(), [](const Send& a, const Send& b) { return a.at < b.at; });
  // On one CPU: the kernel runs each send's receive path from that CPU's queue, in order. A sender that moved
  // between CPUs could have two legs' datagrams overtake each other by microseconds on the way to rx.
  cpu_set_t saved, one;
  pthread_getaffinity_np(pthread_self(), sizeof saved, &saved);
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  pthread_setaffinity_np(pthread_self(), sizeof one, &one);
  const auto start = std::chrono::steady_clock::now();
  for (const auto& s : plan) {
    std::this_thread::sleep_until(start + s.at);
    (s.red ? legs.red : legs.blue)
        .send(s.red ? kRedGroup : kBlueGroup, s.red || blue_port == 0 ? port : blue_port, rtp_packet(stream[s.index]));
  }
  pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
}

std::vector<bool> random_loss(size_t n, unsigned seed, double share = 0.1) {
  std::mt19937 random(seed);
  std::bernoulli_distribution lost(share);
  std::vector<bool> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = lost(random);
  return out;
}

std::vector<Rtp> stream_of(size_t n, uint32_t ssrc, uint16_t first_seq, uint32_t first_ts, uint32_t ts_step = 90) {
  std::vector<Rtp> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back({ssrc, static_cast<uint16_t>(first_seq + i), static_cast<uint32_t>(first_ts + i * ts_step)});
  return out;
}

// What the merge must deliver: every packet some leg carried, once, in the order the first copies arrived.
std::vector<Rtp> carried(const std::vector<Rtp>& stream, const std::vector<bool>& lost_red,
                         const std::vector<bool>& lost_blue) {
  std::vector<Rtp> out;
  for (size_t i = 0; i < stream.size(); ++i)
    if (!lost_red[i] || !lost_blue[i]) out.push_back(stream[i]);
  return out;
}

}  // namespace

TEST(Merge, EveryPacketEitherLegCarriedArrivesOnceInFirstArrivalOrder) {
  const auto port = next_port();
  Harness rx("rx", merging_src(port, "redundancy-window=300"));
  ASSERT_TRUE(rx.play()) << rx.error();
  Legs legs;
  const auto stream = stream_of(3000, 0x5eed, 100, 1000);
  const auto lost_red = random_loss(stream.size(), 1), lost_blue = random_loss(stream.size(), 2);
  send_both(legs, port, stream, lost_red, lost_blue);
  const auto want = carried(stream, lost_red, lost_blue);
  EXPECT_EQ(rtp_drain(rx), want);
  size_t both = 0, only_red = 0, only_blue = 0;
  for (size_t i = 0; i < stream.size(); ++i) {
    both += !lost_red[i] && !lost_blue[i];
    only_red += !lost_red[i] && lost_blue[i];
    only_blue += lost_red[i] && !lost_blue[i];
  }
  // About 1 % lost by both, as the draws say; the merge lost nothing more.
  EXPECT_NEAR(static_cast<double>(stream.size() - want.size()) / stream.size(), 0.01, 0.006);
  // One more packet, after the window, makes the merge forget the stream's packets and count what each leg saved.
  std::this_thread::sleep_for(350ms);
  legs.red.send(kRedGroup, port, rtp_packet({0x5eed, 9999, 9999}));
  ASSERT_EQ(rtp_drain(rx, 200ms).size(), 1u);
  GstStructure* stats = rx.stats();
  guint64 duplicates = 0;
  gst_structure_get_uint64(stats, "duplicates-dropped", &duplicates);
  EXPECT_EQ(duplicates, both);
  EXPECT_EQ(leg_field(stats, 0, "packets"), both + only_red + 1);
  EXPECT_EQ(leg_field(stats, 1, "packets"), both + only_blue);
  EXPECT_EQ(leg_field(stats, 0, "unique"), only_red);
  EXPECT_EQ(leg_field(stats, 1, "unique"), only_blue);
  EXPECT_EQ(leg_field(stats, 1, "duplicates") + leg_field(stats, 0, "duplicates"), both);
  EXPECT_STREQ(gst_structure_get_string(leg_stats(stats, 1), "iface"), "eth1");
  EXPECT_STREQ(gst_structure_get_string(leg_stats(stats, 1), "group"), kBlueGroup);
  gst_structure_free(stats);
}

TEST(Merge, ALegDelayedBy100Or450MillisecondsCostsNothing) {
  for (const auto delay : {100ms, 450ms}) {
    const auto port = next_port();
    Harness rx("rx", merging_src(port));
    ASSERT_TRUE(rx.play()) << rx.error();
    Legs legs;
    const auto stream = stream_of(1500, 0xde1a, 65000, 7);  // wraps round, too
    const auto lost_red = random_loss(stream.size(), 3);    // the late leg fills what the early one lost
    const std::vector<bool> lost_blue(stream.size(), false);
    send_both(legs, port, stream, lost_red, lost_blue, delay, 1000);
    const auto got = rtp_drain(rx, 700ms);
    const std::set<Rtp> unique(got.begin(), got.end());
    EXPECT_EQ(unique.size(), got.size()) << "a duplicate was delivered, delay " << delay.count() << " ms";
    EXPECT_EQ(unique, std::set<Rtp>(stream.begin(), stream.end())) << "delay " << delay.count() << " ms";
  }
}

TEST(Merge, WrapRestartAndTwoStreamsThroughOneElement) {
  const auto port = next_port();
  // Video and audio, each as a red/blue pair of groups.
  Harness rx("rx", "mcastexpertsrc redundancy=st2022-7 groups=" + std::string(kRedGroup) + "@eth0," + kBlueGroup +
                       "@eth1,239.255.60.3@eth0,239.255.60.4@eth1 port=" + std::to_string(port));
  ASSERT_TRUE(rx.play()) << rx.error();
  Legs legs;
  auto video = stream_of(800, 0x7777, 65300, 5000, 1500);        // wraps at 236
  const auto restarted = stream_of(400, 0x8888, 12, 777, 1500);  // the sender restarts: new SSRC, new numbers
  video.insert(video.end(), restarted.begin(), restarted.end());
  const auto audio = stream_of(1200, 0x1111, 65500, 0, 48);
  const auto lv_red = random_loss(video.size(), 4), lv_blue = random_loss(video.size(), 5);
  const auto la_red = random_loss(audio.size(), 6), la_blue = random_loss(audio.size(), 7);
  for (size_t i = 0; i < video.size(); ++i) {
    if (!lv_red[i]) legs.red.send(kRedGroup, port, rtp_packet(video[i]));
    if (!la_red[i]) legs.red.send("239.255.60.3", port, rtp_packet(audio[i], 40));
    if (!lv_blue[i]) legs.blue.send(kBlueGroup, port, rtp_packet(video[i]));
    if (!la_blue[i]) legs.blue.send("239.255.60.4", port, rtp_packet(audio[i], 40));
    if (i % 50 == 49) std::this_thread::sleep_for(5ms);
  }
  std::vector<Rtp> got_video, got_audio;
  for (const auto& p : rtp_drain(rx)) (p.ssrc == 0x1111 ? got_audio : got_video).push_back(p);
  EXPECT_EQ(got_video, carried(video, lv_red, lv_blue));
  EXPECT_EQ(got_audio, carried(audio, la_red, la_blue));
}

TEST(Merge, ALegWhoseLinkGoesDownForTwoSecondsCostsNothingAndIsReported) {
  const auto port = next_port();
  Harness rx("rx", merging_src(port, "timeout=300000000"));
  ASSERT_TRUE(rx.play()) << rx.error();
  std::atomic<bool> done{false};
  std::vector<Rtp> got;
  std::thread reader([&] {
    while (!done)
      for (const auto& p : rtp_drain(rx, 100ms)) got.push_back(p);
  });
  Legs legs;
  const auto stream = stream_of(3500, 0xd0d0, 0, 0);
  const std::vector<bool> none(stream.size(), false);
  std::thread cable([&] {
    std::this_thread::sleep_for(500ms);
    run_in("rx", "ip link set eth0 down");
    std::this_thread::sleep_for(2s);
    run_in("rx", "ip link set eth0 up");
  });
  send_both(legs, port, stream, none, none, 0ms, 1000);
  cable.join();
  // Taken as the stream ends, before both legs fall silent for good.
  std::vector<std::pair<std::string, bool>> reports;
  for (GstStructure* s : rx.element_messages("McastExpertLegState")) {
    gboolean live = TRUE;
    gst_structure_get_boolean(s, "live", &live);
    reports.emplace_back(gst_structure_get_string(s, "iface"), live != FALSE);
    EXPECT_STREQ(gst_structure_get_string(s, "group"), kRedGroup);
    gst_structure_free(s);
  }
  GstStructure* stats = rx.stats();
  gboolean live = FALSE;
  gst_structure_get_boolean(leg_stats(stats, 0), "live", &live);
  EXPECT_TRUE(live) << "the red leg is back";
  std::this_thread::sleep_for(300ms);
  done = true;
  reader.join();
  EXPECT_EQ(got, stream) << "lost or doubled packets while the red leg was gone";
  EXPECT_EQ(reports, (std::vector<std::pair<std::string, bool>>{{"eth0", false}, {"eth0", true}}));
  EXPECT_GT(leg_field(stats, 1, "unique"), 1000u) << "the blue leg carried the red one's share alone";
  gst_structure_free(stats);
}

TEST(Merge, DatagramsThatAreNotRtpAreCountedNotDelivered) {
  const auto port = next_port();
  Harness rx("rx", merging_src(port));
  ASSERT_TRUE(rx.play()) << rx.error();
  Legs legs;
  legs.red.send(kRedGroup, port, "not rtp at all");
  legs.red.send(kRedGroup, port, std::string(4, '\x80'));
  legs.red.send(kRedGroup, port, rtp_packet({1, 2, 3}));
  EXPECT_EQ(rtp_drain(rx), (std::vector<Rtp>{{1, 2, 3}}));
  EXPECT_EQ(rx.stat("rejected-not-rtp"), 2u);
}

TEST(Merge, LegsOnDifferentPorts) {
  const auto red_port = next_port(), blue_port = next_port();
  Harness rx("rx", "mcastexpertsrc redundancy=st2022-7 groups=" + std::string(kRedGroup) + ":" +
                       std::to_string(red_port) + "@eth0," + kBlueGroup + ":" + std::to_string(blue_port) + "@eth1");
  ASSERT_TRUE(rx.play()) << rx.error();
  Legs legs;
  const auto stream = stream_of(500, 0xabc, 1, 1);
  const auto lost_red = random_loss(stream.size(), 8), lost_blue = random_loss(stream.size(), 9);
  // Paced, as a real stream: each read then holds what arrived, and the two sockets' datagrams go on in the order
  // the kernel received them.
  send_both(legs, red_port, stream, lost_red, lost_blue, 0ms, 2000, blue_port);
  EXPECT_EQ(rtp_drain(rx), carried(stream, lost_red, lost_blue));
  GstBuffer* probe = nullptr;
  legs.blue.send(kBlueGroup, blue_port, rtp_packet({0xabc, 999, 999}));
  probe = rx.pull();
  ASSERT_NE(probe, nullptr);
  const GstStructure* meta = gst_custom_meta_get_structure(gst_buffer_get_custom_meta(probe, "McastExpertReceiveMeta"));
  guint meta_port = 0;
  gst_structure_get_uint(meta, "port", &meta_port);
  EXPECT_EQ(meta_port, blue_port);
  EXPECT_STREQ(gst_structure_get_string(meta, "ifname"), "eth1");
  gst_buffer_unref(probe);
}

// --- per-leg pinning ---

TEST(Pinning, EachGroupIsTakenOnlyFromItsOwnNetwork) {
  for (const bool v6 : {false, true}) {
    const auto port = next_port();
    const std::string red = v6 ? "ff15::60:1" : "239.255.61.1", blue = v6 ? "ff15::60:2" : "239.255.61.2";
    Harness rx("rx", "mcastexpertsrc groups=" + red + "@eth0," + blue + "@eth1 port=" + std::to_string(port));
    ASSERT_TRUE(rx.play()) << rx.error();
    // Someone else on rx takes each group in by the other network, so the wrong copies do reach this host.
    RawReceiver other_red("rx", red, port, I("RX_ETH1_INDEX"));
    RawReceiver other_blue("rx", blue, port, I("RX_ETH0_INDEX"));
    RawSender by_red("tx", F(v6 ? "TX_ETH0_IPV6" : "TX_ETH0_IPV4"), I("TX_ETH0_INDEX"));
    RawSender by_blue("tx", F(v6 ? "TX_ETH1_IPV6" : "TX_ETH1_IPV4"), I("TX_ETH1_INDEX"));
    by_red.send(red, port, "red-on-red");
    by_red.send(blue, port, "blue-on-red");
    by_blue.send(blue, port, "blue-on-blue");
    by_blue.send(red, port, "red-on-blue");
    std::vector<std::pair<std::string, std::string>> got;
    while (GstBuffer* b = rx.pull(300ms)) {
      const GstStructure* meta = gst_custom_meta_get_structure(gst_buffer_get_custom_meta(b, "McastExpertReceiveMeta"));
      got.emplace_back(buffer_bytes(b), gst_structure_get_string(meta, "ifname"));
      gst_buffer_unref(b);
    }
    EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{{"red-on-red", "eth0"}, {"blue-on-blue", "eth1"}}))
        << (v6 ? "IPv6" : "IPv4");
    // IPv4 sockets are filtered by (group, interface) in the kernel; IPv6 ones by group only, so the element
    // sees the wrong copies and counts them.
    if (v6) {
      EXPECT_EQ(rx.stat("rejected-wrong-interface"), 2u);
    }
    // The other receiver, joined by the other network, got that network's copy (IPv6 sockets may see both).
    auto all_of = [](RawReceiver& r) {
      std::set<std::string> out;
      while (auto got = r.receive(150ms)) out.insert(got->payload);
      return out;
    };
    EXPECT_EQ(all_of(other_red).count("red-on-blue"), 1u);
    EXPECT_EQ(all_of(other_blue).count("blue-on-red"), 1u);
  }
}

TEST(Pinning, AnEntryNamingAnUnknownInterfaceNamesTheEntry) {
  for (const char* element : {"mcastexpertsrc", "mcastexpertsink"}) {
    Pipeline p(std::string(element) == "mcastexpertsrc"
                   ? "mcastexpertsrc groups=239.255.61.5@eth0,239.255.61.6@eht1 ! fakesink"
                   : "fakesrc ! mcastexpertsink groups=239.255.61.5@eth0,239.255.61.6@eht1");
    EXPECT_FALSE(p.set_state("rx", GST_STATE_PLAYING));
    const std::string text = p.error_text();
    EXPECT_NE(text.find("entry '239.255.61.6"), std::string::npos) << element << ": " << text;
    EXPECT_NE(text.find("@eht1': "), std::string::npos) << element << ": " << text;
    EXPECT_NE(text.find("no interface matches 'eht1'"), std::string::npos) << element << ": " << text;
  }
}

TEST(Pinning, EachDestinationOfTheSinkLeavesByItsOwnNetwork) {
  const auto port = next_port();
  RawReceiver red_on_red("rx", "239.255.62.1", port, I("RX_ETH0_INDEX"));
  RawReceiver red_on_blue("rx", "239.255.62.1", port, I("RX_ETH1_INDEX"));
  RawReceiver blue_on_blue("rx", "239.255.62.2", port, I("RX_ETH1_INDEX"));
  RawReceiver blue_on_red("rx", "239.255.62.2", port, I("RX_ETH0_INDEX"));
  Harness h("tx", "mcastexpertsink sync=false groups=239.255.62.1@eth0,239.255.62.2@eth1 port=" + std::to_string(port));
  ASSERT_TRUE(h.play()) << h.error();
  h.start_stream();
  ASSERT_EQ(h.push("first"), GST_FLOW_OK);
  auto payloads = [](RawReceiver& r) {
    std::vector<std::string> out;
    while (auto got = r.receive(150ms)) out.push_back(got->payload + "@" + std::to_string(got->ifindex));
    return out;
  };
  const std::string on_red = "@" + std::to_string(I("RX_ETH0_INDEX")),
                    on_blue = "@" + std::to_string(I("RX_ETH1_INDEX"));
  EXPECT_EQ(payloads(red_on_red), std::vector<std::string>{"first" + on_red});
  EXPECT_EQ(payloads(blue_on_blue), std::vector<std::string>{"first" + on_blue});
  EXPECT_TRUE(payloads(red_on_blue).empty());
  EXPECT_TRUE(payloads(blue_on_red).empty());
  // The signals take the same form: a third group, by blue only; then removed from blue.
  RawReceiver third_on_blue("rx", "239.255.62.3", port, I("RX_ETH1_INDEX"));
  RawReceiver third_on_red("rx", "239.255.62.3", port, I("RX_ETH0_INDEX"));
  {
    lab::InHost in("tx");  // the signal reads the interfaces of its caller's network namespace
    g_signal_emit_by_name(h.element(), "add", "239.255.62.3@eth1", static_cast<gint>(port));
  }
  ASSERT_EQ(h.push("second"), GST_FLOW_OK);
  EXPECT_EQ(payloads(third_on_blue), std::vector<std::string>{"second" + on_blue});
  EXPECT_TRUE(payloads(third_on_red).empty());
  g_signal_emit_by_name(h.element(), "remove", "239.255.62.3@eth1", static_cast<gint>(port));
  ASSERT_EQ(h.push("third"), GST_FLOW_OK);
  EXPECT_TRUE(payloads(third_on_blue).empty());
  EXPECT_EQ(payloads(red_on_red), (std::vector<std::string>{"second" + on_red, "third" + on_red}));
  EXPECT_TRUE(h.messages(GST_MESSAGE_WARNING).empty());
}

TEST(Pinning, UrisCarryTheLegs) {
  for (const auto& [type, uri] : std::vector<std::pair<GstURIType, std::string>>{
           {GST_URI_SRC, "mcast://239.255.64.1@eth0,239.255.64.2@eth1?port=6000&redundancy=st2022-7"},
           {GST_URI_SRC, "mcast://239.255.64.1:6000@eth0"},
           {GST_URI_SINK, "mcast://239.255.64.1:6000@eth0,239.255.64.2:6002@eth1"}}) {
    GstElement* e = gst_element_make_from_uri(type, uri.c_str(), nullptr, nullptr);
    ASSERT_NE(e, nullptr) << uri;
    gchar* back = gst_uri_handler_get_uri(GST_URI_HANDLER(e));
    EXPECT_EQ(std::string(back), uri);
    g_free(back);
    gst_object_unref(e);
  }
}

// --- the whole way: one sink sending two legs through lossy networks, one source merging them ---

static GstPadProbeReturn record_rtp(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* seen = static_cast<std::vector<Rtp>*>(data);
  auto take = [&](GstBuffer* b) { seen->push_back(rtp_of(buffer_bytes(b))); };
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList* list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
    for (guint i = 0; i < gst_buffer_list_length(list); ++i) take(gst_buffer_list_get(list, i));
  } else {
    take(GST_PAD_PROBE_INFO_BUFFER(info));
  }
  return GST_PAD_PROBE_OK;
}

TEST(RoundTrip, SinkToMergingSourceThroughTwoLossyNetworks) {
  const auto port = next_port();
  // About 150 bytes a packet on the wire at 1000 packets/s is 1.2 Mbit/s: each leg's token bucket passes less, and
  // drops the rest, at its own pace.
  run_in("tx",
         "tc qdisc add dev eth0 root tbf rate 1100kbit burst 1600 limit 1600 && "
         "tc qdisc add dev eth1 root tbf rate 1040kbit burst 1600 limit 1600");
  RawReceiver red("rx", "239.255.63.1", port, I("RX_ETH0_INDEX"));
  RawReceiver blue("rx", "239.255.63.2", port, I("RX_ETH1_INDEX"));
  Pipeline rx("mcastexpertsrc name=src redundancy=st2022-7 groups=239.255.63.1@eth0,239.255.63.2@eth1 port=" +
              std::to_string(port) +
              " caps=\"application/x-rtp,media=audio,clock-rate=48000,encoding-name=L16,channels=1,payload=96\" "
              "! rtpjitterbuffer latency=200 ! rtpL16depay ! fakesink name=sink sync=false");
  std::vector<Rtp> delivered;
  GstPad* pad = gst_element_get_static_pad(rx.by_name("src"), "src");
  gst_pad_add_probe(pad, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                    record_rtp, &delivered, nullptr);
  gst_object_unref(pad);
  ASSERT_TRUE(rx.set_state("rx", GST_STATE_PLAYING));
  // What each network delivered to rx, read as it arrives (a socket's default buffer would not hold it all).
  std::set<Rtp> on_red, on_blue;
  std::atomic<bool> capturing{true};
  auto capture = [&](RawReceiver& r, std::set<Rtp>& into) {
    while (capturing)
      while (auto got = r.receive(50ms)) into.insert(rtp_of(got->payload));
  };
  std::thread red_capture(capture, std::ref(red), std::ref(on_red));
  std::thread blue_capture(capture, std::ref(blue), std::ref(on_blue));
  Pipeline tx(
      "audiotestsrc is-live=true samplesperbuffer=48 num-buffers=2000 ! audioconvert "
      "! audio/x-raw,format=S16BE,rate=48000,channels=1 ! rtpL16pay min-ptime=1000000 max-ptime=1000000 "
      "! mcastexpertsink groups=239.255.63.1@eth0,239.255.63.2@eth1 port=" +
      std::to_string(port));
  ASSERT_TRUE(tx.set_state("tx", GST_STATE_PLAYING));
  GstMessage* eos = tx.wait_for(static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR), 10s);
  ASSERT_NE(eos, nullptr);
  EXPECT_EQ(GST_MESSAGE_TYPE(eos), GST_MESSAGE_EOS);
  gst_message_unref(eos);
  std::this_thread::sleep_for(500ms);  // the jitterbuffer's latency, and then some
  capturing = false;
  red_capture.join();
  blue_capture.join();
  std::set<Rtp> either = on_red;
  either.insert(on_blue.begin(), on_blue.end());
  GstStructure* stats = nullptr;
  guint64 rendered = 0;
  g_object_get(rx.by_name("sink"), "stats", &stats, nullptr);
  gst_structure_get_uint64(stats, "rendered", &rendered);
  gst_structure_free(stats);
  EXPECT_EQ(rendered, delivered.size()) << "the jitterbuffer and depayloader did not take every merged packet";
  ASSERT_TRUE(rx.set_state("rx", GST_STATE_PAUSED));
  EXPECT_EQ(rx.error_text(10ms), "");
  const std::set<Rtp> unique(delivered.begin(), delivered.end());
  EXPECT_EQ(unique.size(), delivered.size()) << "a packet was delivered twice";
  std::vector<Rtp> missing, extra;
  std::set_difference(either.begin(), either.end(), unique.begin(), unique.end(), std::back_inserter(missing));
  std::set_difference(unique.begin(), unique.end(), either.begin(), either.end(), std::back_inserter(extra));
  EXPECT_TRUE(missing.empty() && extra.empty())
      << "the merge lost " << missing.size() << " and invented " << extra.size() << " of " << either.size();
  EXPECT_LT(on_red.size(), 1950u) << "the red network dropped nothing: the test proves nothing";
  EXPECT_LT(on_blue.size(), 1950u) << "the blue network dropped nothing: the test proves nothing";
  EXPECT_GT(either.size(), std::max(on_red.size(), on_blue.size())) << "neither leg filled a gap of the other";
  run_in("tx", "tc qdisc del dev eth0 root; tc qdisc del dev eth1 root");
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new et::GstEnvironment);
  return RUN_ALL_TESTS();
}
