// mcastexpertsink's pacing, measured where it matters: at a plain receiver on another host, from the kernel's
// arrival timestamps. The lab's multihomed topology: the sink runs on rx, whose eth0 is on LAN A (with txa) and
// eth1 on LAN B (with txb).
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>

#include <algorithm>
#include <future>
#include <map>

#include "element_test.hpp"

using namespace et;

namespace {

constexpr int64_t kMs = 1000000;

std::string numbered(uint32_t n, size_t size) {
  std::string d(size, 'p');
  std::memcpy(d.data(), &n, sizeof n);
  return d;
}

uint32_t number_of(const Received& r) {
  uint32_t n = 0;
  std::memcpy(&n, r.payload.data(), sizeof n);
  return n;
}

// A list of `count` numbered datagrams (from `first`), its first buffer stamped with `pts` and `duration`.
GstBufferList* numbered_list(uint32_t first, size_t count, size_t size, GstClockTime pts, GstClockTime duration) {
  GstBufferList* list = gst_buffer_list_new_sized(static_cast<guint>(count));
  for (size_t i = 0; i < count; ++i) {
    const std::string d = numbered(first + static_cast<uint32_t>(i), size);
    GstBuffer* b = gst_buffer_new_memdup(d.data(), d.size());
    GST_BUFFER_PTS(b) = pts;
    if (i == 0) GST_BUFFER_DURATION(b) = duration;
    gst_buffer_list_add(list, b);
  }
  return list;
}

// Everything `r` receives until it has been quiet for `quiet` (once something came) or `limit` has passed.
std::vector<Received> collect(RawReceiver& r, std::chrono::milliseconds quiet = 500ms,
                              std::chrono::milliseconds limit = 20s) {
  std::vector<Received> out;
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    auto got = r.receive(out.empty() ? 3000ms : quiet);
    if (!got) break;
    out.push_back(std::move(*got));
  }
  return out;
}

std::future<std::vector<Received>> collect_async(RawReceiver& r, std::chrono::milliseconds quiet = 500ms) {
  return std::async(std::launch::async, [&r, quiet] { return collect(r, quiet); });
}

// The most arrivals in any window of `window_ns` starting at an arrival.
size_t peak_in_window(const std::vector<Received>& got, int64_t window_ns) {
  std::vector<int64_t> t;
  for (const auto& r : got) t.push_back(r.arrival_ns);
  std::sort(t.begin(), t.end());
  size_t peak = 0;
  for (size_t i = 0, j = 0; i < t.size(); ++i) {
    while (j < t.size() && t[j] < t[i] + window_ns) ++j;
    peak = std::max(peak, j - i);
  }
  return peak;
}

int64_t span_ns(const std::vector<Received>& got) {
  if (got.size() < 2) return 0;
  const auto [lo, hi] = std::minmax_element(
      got.begin(), got.end(), [](const Received& a, const Received& b) { return a.arrival_ns < b.arrival_ns; });
  return hi->arrival_ns - lo->arrival_ns;
}

void expect_all_in_order(const std::vector<Received>& got, uint32_t first, size_t count, const std::string& where) {
  ASSERT_EQ(got.size(), count) << where;
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(number_of(got[i]), first + i) << where << ": datagram " << i;
}

std::unique_ptr<Harness> paced_sink(const std::string& props) {
  auto h = std::make_unique<Harness>("rx", "mcastexpertsink sync=false " + props);
  if (!h->play()) throw std::runtime_error("sink did not start: " + h->error());
  h->start_stream();
  return h;
}

std::string dest(const char* group, uint16_t port) {
  return std::string("groups=") + group + " port=" + std::to_string(port);
}

}  // namespace

TEST(SinkPacing, SpreadSendsAListEvenlyOverItsDurationOnEveryInterface) {
  const auto port = next_port();
  RawReceiver lan_a("txa", "239.255.70.1", port, I("TXA_ETH0_INDEX"));
  RawReceiver lan_b("txb", "239.255.70.1", port, I("TXB_ETH0_INDEX"));
  auto h = paced_sink(dest("239.255.70.1", port) + " iface=eth0,eth1 pacing=spread");
  // Up to three lists: a virtual machine's host may preempt the sending thread for milliseconds, which no pacing
  // survives; one list in three meeting the mark shows the sink paces (unpaced, a millisecond carries all 400).
  // The mark is 2.5 times the list's share of a millisecond: far from the 400 an unpaced list puts there, and far
  // enough above the 1.2 times that bench/ measures that a busy host's late wake-ups do not fail the test.
  std::string attempts;
  bool even = false;
  for (uint32_t attempt = 0; attempt < 3 && !even; ++attempt) {
    auto a = collect_async(lan_a), b = collect_async(lan_b);
    ASSERT_EQ(gst_pad_push_list(h->get()->srcpad,
                                numbered_list(attempt * 400, 400, 1316, attempt * 40 * GST_MSECOND, 20 * GST_MSECOND)),
              GST_FLOW_OK);
    even = true;
    for (auto* got : {&a, &b}) {
      const auto list = got->get();
      expect_all_in_order(list, attempt * 400, 400, "spread list");
      // 400 datagrams over 20 ms: 20 a millisecond.
      EXPECT_GE(span_ns(list), 15 * kMs) << "the list was not spread over its 20 ms";
      const size_t peak = peak_in_window(list, kMs);
      attempts += " " + std::to_string(peak);
      even = even && peak <= 50;
    }
  }
  EXPECT_TRUE(even) << "every list put more than 2.5x its share (50) in a millisecond; peaks:" << attempts;
  EXPECT_LE(h->stat("largest-burst"), 16u);
  EXPECT_GE(h->stat("largest-burst"), 1u);
}

TEST(SinkPacing, NoneStillSendsAListAtOnce) {
  const auto port = next_port();
  RawReceiver lan_a("txa", "239.255.70.2", port, I("TXA_ETH0_INDEX"));
  auto h = paced_sink(dest("239.255.70.2", port) + " iface=eth0");
  auto a = collect_async(lan_a);
  ASSERT_EQ(gst_pad_push_list(h->get()->srcpad, numbered_list(0, 400, 1316, 0, 20 * GST_MSECOND)), GST_FLOW_OK);
  const auto list = a.get();
  expect_all_in_order(list, 0, 400, "unpaced list");
  EXPECT_LT(span_ns(list), 5 * kMs) << "pacing=none spread the list";
  EXPECT_EQ(h->stat("largest-burst"), 400u);
}

// A real video pipeline with sync=true: each frame (one list, or rtpvrawpay's default of ten lists with the frame's
// timestamp) leaves over its 40 ms, not in one burst.
TEST(SinkPacing, SpreadPacesAVideoPayloaderWithSyncTrue) {
  for (const std::string chunks : {"1", "10"}) {
    for (const std::string pacing : {"spread", "none"}) {
      const auto port = next_port();
      RawReceiver lan_a("txa", "239.255.70.3", port, I("TXA_ETH0_INDEX"));
      Pipeline p(
          "videotestsrc is-live=true num-buffers=8 ! video/x-raw,format=I420,width=640,height=480,"
          "framerate=25/1 ! rtpvrawpay chunks-per-frame=" +
          chunks + " ! mcastexpertsink sync=true iface=eth0 " + dest("239.255.70.3", port) + " pacing=" + pacing);
      auto got = collect_async(lan_a);
      ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
      GstMessage* eos = p.wait_for(static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR), 10000ms);
      ASSERT_NE(eos, nullptr);
      EXPECT_EQ(GST_MESSAGE_TYPE(eos), GST_MESSAGE_EOS);
      gst_message_unref(eos);
      const auto all = got.get();
      // By RTP timestamp (bytes 4-7): one frame each. RTP sequence numbers (bytes 2-3) in order.
      std::map<uint32_t, std::vector<Received>> frames;
      uint16_t last_seq = 0;
      for (size_t i = 0; i < all.size(); ++i) {
        const auto* d = reinterpret_cast<const uint8_t*>(all[i].payload.data());
        const uint16_t seq = static_cast<uint16_t>(d[2] << 8 | d[3]);
        if (i > 0) {
          EXPECT_EQ(seq, static_cast<uint16_t>(last_seq + 1)) << "reordered or lost";
        }
        last_seq = seq;
        frames[static_cast<uint32_t>(d[4]) << 24 | d[5] << 16 | d[6] << 8 | d[7]].push_back(all[i]);
      }
      ASSERT_EQ(frames.size(), 8u) << chunks << " chunks, pacing=" << pacing;
      // The first frame has nothing to go by; the rest take most of their 40 ms with spread, and the typical frame
      // (the median: a preemption of the sending thread may bunch one) carries no more than four times its share in
      // a millisecond (unpaced, a frame leaves within a millisecond or two: some 20 to 40 times its share; how close
      // to its share a paced frame comes is bench/'s to measure, not a test's).
      size_t index = 0;
      std::vector<double> ratios;
      for (const auto& [ts, frame] : frames) {
        if (index++ < 2) continue;
        const std::string what = chunks + " chunks, pacing=" + pacing + ", frame " + std::to_string(index);
        if (pacing == "spread") {
          EXPECT_GE(span_ns(frame), 30 * kMs) << what;
          ratios.push_back(static_cast<double>(peak_in_window(frame, kMs)) / (frame.size() / 40.0));
        } else {
          EXPECT_LT(span_ns(frame), 10 * kMs) << what;
        }
      }
      if (!ratios.empty()) {
        std::sort(ratios.begin(), ratios.end());
        std::string all_ratios;
        for (const double r : ratios) all_ratios += " " + std::to_string(r).substr(0, 4);
        EXPECT_LE(ratios[ratios.size() / 2], 4.0)
            << chunks << " chunks: the median frame's 1 ms peak over its share; every frame's:" << all_ratios;
      }
    }
  }
}

TEST(SinkPacing, MaxRateHoldsTheStreamAtItsCeiling) {
  const auto port = next_port();
  RawReceiver lan_a("txa", "239.255.70.4", port, I("TXA_ETH0_INDEX"));
  auto h = paced_sink(dest("239.255.70.4", port) + " iface=eth0 pacing=rate max-rate=20000000");
  auto a = collect_async(lan_a);
  // 64 lists of 64 × 1,250 bytes: 41 Mbit, about 2 s at 20 Mbit/s.
  for (uint32_t i = 0; i < 64; ++i)
    ASSERT_EQ(
        gst_pad_push_list(h->get()->srcpad, numbered_list(i * 64, 64, 1250, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE)),
        GST_FLOW_OK);
  const auto got = a.get();
  expect_all_in_order(got, 0, 64 * 64, "rate-paced stream");
  // Every datagram but the last had its time on the wire before the last arrived. A ceiling is never exceeded
  // (5 % for the clocks); a host that preempts the sending thread may keep the stream below it for a while, so
  // below, the mark is only that the stream runs near its ceiling, not at some other rate.
  const double rate = (static_cast<double>(got.size()) - 1) * 1250 * 8 / (static_cast<double>(span_ns(got)) / 1e9);
  EXPECT_LE(rate, 21e6) << "measured at the receiver";
  EXPECT_GE(rate, 16e6) << "measured at the receiver";
  const auto reported = static_cast<double>(h->stat("send-rate"));
  EXPECT_LE(reported, 21e6) << "reported in stats";
  EXPECT_GE(reported, 16e6) << "reported in stats";
}

TEST(SinkPacing, UnlockDuringALongPacedListReturnsAtOnce) {
  const auto port = next_port();
  auto h = paced_sink(dest("239.255.70.5", port) + " iface=eth0 pacing=spread");
  std::atomic<bool> returned{false};
  GstFlowReturn flow = GST_FLOW_OK;
  std::chrono::steady_clock::time_point returned_at;
  std::thread pusher([&] {
    flow = gst_pad_push_list(h->get()->srcpad, numbered_list(0, 1000, 1316, 0, 10 * GST_SECOND));
    returned_at = std::chrono::steady_clock::now();
    returned = true;
  });
  std::this_thread::sleep_for(300ms);
  const bool was_pacing = !returned;
  const auto stopping = std::chrono::steady_clock::now();
  gst_element_set_state(h->element(), GST_STATE_NULL);
  const auto end = std::chrono::steady_clock::now() + 5s;
  while (!returned && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(1ms);
  if (!returned) {
    ADD_FAILURE() << "a paced list held up the state change";
    std::fflush(nullptr);
    std::_Exit(1);
  }
  pusher.join();
  EXPECT_TRUE(was_pacing) << "the 10 s list was sent at once: the test proves nothing";
  EXPECT_EQ(flow, GST_FLOW_FLUSHING);
  EXPECT_LT(returned_at - stopping, 100ms);
  EXPECT_TRUE(h->play()) << h->error();
}

TEST(SinkPacing, AFlushDropsTheRestOfTheListAndTheNextOneGoes) {
  const auto port = next_port();
  RawReceiver lan_a("txa", "239.255.70.6", port, I("TXA_ETH0_INDEX"));
  auto h = paced_sink(dest("239.255.70.6", port) + " iface=eth0 pacing=spread");
  auto a = collect_async(lan_a);
  GstFlowReturn flow = GST_FLOW_OK;
  std::thread pusher(
      [&] { flow = gst_pad_push_list(h->get()->srcpad, numbered_list(0, 1000, 1316, 0, 5 * GST_SECOND)); });
  std::this_thread::sleep_for(300ms);
  gst_pad_push_event(h->get()->srcpad, gst_event_new_flush_start());
  pusher.join();
  EXPECT_EQ(flow, GST_FLOW_FLUSHING);
  gst_pad_push_event(h->get()->srcpad, gst_event_new_flush_stop(TRUE));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  gst_pad_push_event(h->get()->srcpad, gst_event_new_segment(&segment));
  ASSERT_EQ(gst_pad_push_list(h->get()->srcpad, numbered_list(5000, 10, 1316, GST_SECOND, 10 * GST_MSECOND)),
            GST_FLOW_OK);
  const auto got = a.get();
  ASSERT_GE(got.size(), 11u);
  const size_t before_flush = got.size() - 10;
  EXPECT_LT(before_flush, 200u) << "the rest of the list went out after the flush";
  for (size_t i = 0; i < before_flush; ++i) EXPECT_EQ(number_of(got[i]), i);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(number_of(got[before_flush + i]), 5000 + i);
}

TEST(SinkPacing, BurstsNeverExceedPacingBurstWhateverTheBatching) {
  const auto port = next_port();
  RawReceiver lan_a("txa", "239.255.70.7", port, I("TXA_ETH0_INDEX"));
  auto h = paced_sink(dest("239.255.70.7", port) + " iface=eth0 pacing=spread pacing-burst=4");
  auto a = collect_async(lan_a);
  // 2,000 datagrams in 10 ms: 10 per 50 µs quantum, held to 4.
  ASSERT_EQ(gst_pad_push_list(h->get()->srcpad, numbered_list(0, 2000, 1316, 0, 10 * GST_MSECOND)), GST_FLOW_OK);
  expect_all_in_order(a.get(), 0, 2000, "burst-capped list");
  EXPECT_EQ(h->stat("largest-burst"), 4u);
}

TEST(SinkPacing, ASinkThatCannotKeepUpSaysSoOnceAndGoesOn) {
  // A link that drains at 2 Mbit/s, asked for 50.
  run_in("rx",
         "ip link add slow1 type veth peer name slow1p && ip addr add 10.77.61.1/24 dev slow1 && "
         "ip link set slow1 up && ip link set slow1p up && "
         "tc qdisc add dev slow1 root tbf rate 2mbit burst 3000 limit 30000");
  {
    auto h = paced_sink(dest("239.255.70.8", next_port()) +
                        " iface=slow1 pacing=rate max-rate=50000000 "
                        "buffer-size=8192");
    for (uint32_t i = 0; i < 3; ++i)
      ASSERT_EQ(gst_pad_push_list(h->get()->srcpad,
                                  numbered_list(i * 40, 40, 1200, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE)),
                GST_FLOW_OK);
    const auto warnings = h->messages(GST_MESSAGE_WARNING);
    ASSERT_EQ(std::count_if(warnings.begin(), warnings.end(),
                            [](const std::string& w) { return w.find("Pacing cannot keep up") != std::string::npos; }),
              1)
        << (warnings.empty() ? "no warning" : warnings.front());
    for (const auto& w : warnings)
      if (w.find("Pacing") != std::string::npos) {
        EXPECT_NE(w.find("where 50.0 Mbit/s was asked for"), std::string::npos) << w;
      }
    EXPECT_GT(h->stat("schedule-late-max"), static_cast<guint64>(20 * kMs));
    EXPECT_EQ(h->stat("packets-sent"), 120u) << "nothing may be dropped for being late";
  }
  run_in("rx", "ip link del slow1");
}

// What a capture on the sending host shows: with GSO, one large packet per run of equal-sized datagrams; without,
// every datagram.
TEST(SinkPacing, GsoOffSendsEveryDatagramOnItsOwn) {
  for (const bool gso : {true, false}) {
    const auto port = next_port();
    int capture;
    {
      lab::InHost in("rx");
      capture = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));
      ASSERT_GE(capture, 0) << strerror(errno);
      sockaddr_ll where{};
      where.sll_family = AF_PACKET;
      where.sll_protocol = htons(ETH_P_ALL);
      where.sll_ifindex = static_cast<int>(I("RX_ETH0_INDEX"));
      ASSERT_EQ(bind(capture, reinterpret_cast<sockaddr*>(&where), sizeof where), 0) << strerror(errno);
    }
    RawReceiver lan_a("txa", "239.255.70.9", port, I("TXA_ETH0_INDEX"));
    auto h = paced_sink(dest("239.255.70.9", port) + " iface=eth0 gso=" + (gso ? "true" : "false"));
    auto a = collect_async(lan_a);
    ASSERT_EQ(gst_pad_push_list(h->get()->srcpad, numbered_list(0, 32, 1000, 0, GST_CLOCK_TIME_NONE)), GST_FLOW_OK);
    expect_all_in_order(a.get(), 0, 32, gso ? "with GSO" : "without GSO");
    size_t outgoing = 0, largest = 0;
    char frame[70000];
    sockaddr_ll from{};
    socklen_t len = sizeof from;
    while (true) {
      const ssize_t n = recvfrom(capture, frame, sizeof frame, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0) break;
      // IPv4 to our port only (the capture also sees IGMP and IPv6 chatter).
      if (from.sll_pkttype != PACKET_OUTGOING || ntohs(from.sll_protocol) != ETH_P_IP || n < 28) continue;
      uint16_t dport = 0;
      std::memcpy(&dport, frame + (frame[0] & 0x0f) * 4 + 2, 2);
      if (ntohs(dport) != port) continue;
      ++outgoing;
      largest = std::max(largest, static_cast<size_t>(n));
    }
    close(capture);
    if (gso) {
      EXPECT_LT(outgoing, 32u) << "GSO was on, yet the capture saw each datagram";
      EXPECT_GT(largest, 1500u);
    } else {
      EXPECT_EQ(outgoing, 32u);
      EXPECT_LE(largest, 1500u);
    }
  }
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new et::GstEnvironment);
  lab::InHost in("rx");
  return RUN_ALL_TESTS();
}
