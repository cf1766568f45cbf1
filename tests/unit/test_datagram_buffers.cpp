// The source's data path without a network: hand-filled receive slots in, buffers out — skip-first-bytes,
// timestamps from kernel arrival times, the sender and receive metas, coalesced (GRO) reads split, an oversize
// datagram kept whole, the ST 2022-7 verdict on each copy, arrival order across sockets, and packing.
#include <arpa/inet.h>
#include <gst/gst.h>
#include <gst/net/gstnetaddressmeta.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "datagram_buffers.h"
#include "datagram_pool.h"
#include "receive_meta.h"

using namespace mcastexpert;
using namespace mcastexpert::plugin;

namespace {

constexpr size_t kMtu = 1500;

GstBufferPool* active_pool(size_t size) {
  GstBufferPool* pool = datagram_pool_new();
  GstStructure* config = gst_buffer_pool_get_config(pool);
  gst_buffer_pool_config_set_params(config, nullptr, static_cast<guint>(size), 0, 0);
  EXPECT_TRUE(gst_buffer_pool_set_config(pool, config));
  EXPECT_TRUE(gst_buffer_pool_set_active(pool, TRUE));
  return pool;
}

sockaddr_storage sender(const char* ip, uint16_t port) {
  sockaddr_storage ss{};
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  in->sin_family = AF_INET;
  in->sin_port = htons(port);
  inet_pton(AF_INET, ip, &in->sin_addr);
  return ss;
}

// A 12-byte RTP header with sequence number `seq`, then `tail`.
std::string rtp(uint16_t seq, const std::string& tail = "payload") {
  std::string h(12, '\0');
  h[0] = static_cast<char>(0x80);
  h[1] = 96;
  h[2] = static_cast<char>(seq >> 8);
  h[3] = static_cast<char>(seq & 0xff);
  h[11] = 1;  // SSRC 1
  return h + tail;
}

std::string bytes_of(GstBuffer* buf) {
  std::string out(gst_buffer_get_size(buf), '\0');
  gst_buffer_extract(buf, 0, out.data(), out.size());
  return out;
}

// A data path of `batch` slots over a pool of kMtu-byte buffers, and what a test fills in.
struct Path {
  explicit Path(size_t batch = 8, bool pack = false) : buffers(active_pool(kMtu), batch, pack, GST_CAT_DEFAULT) {
    names.groups = {"239.1.1.1", "239.1.1.2"};
    names.ifnames = {{2, "eth0"}, {3, "eth1"}};
    EXPECT_TRUE(buffers.prepare_slots());
  }
  ~Path() {
    for (GstBuffer* b : out) gst_buffer_unref(b);
  }

  // Fills slot `i` with an accepted datagram.
  ReceiveSlot& fill(size_t i, const std::string& payload, size_t group = 0, unsigned ifindex = 2,
                    const char* from = "10.0.0.1") {
    ReceiveSlot& s = buffers.slots()[i];
    EXPECT_LE(payload.size(), s.capacity);
    memcpy(s.data, payload.data(), payload.size());
    s.length = payload.size();
    s.segments = 1;
    s.segment_size = 0;
    s.verdict = Verdict::Accepted;
    s.group_index = group;
    s.membership = group;
    s.port = 5004;
    s.ifindex = ifindex;
    s.sender = sender(from, 40000);
    s.arrival_realtime_ns = 0;
    return s;
  }

  // Makes the buffers of the first `n` slots; the test owns them (freed at the end).
  std::vector<GstBuffer*>& make(size_t n, bool mixed = false, MergeJudge judge = {}) {
    auto& made =
        buffers.make_buffers(n, mixed, clock, settings, names, judge, [&](size_t leg) { heard.push_back(leg); });
    out.insert(out.end(), made.begin(), made.end());
    return made;
  }

  DatagramBuffers buffers;
  ReceiveNames names;
  BatchClock clock;
  BufferSettings settings;
  std::vector<size_t> heard;
  std::vector<GstBuffer*> out;
};

}  // namespace

TEST(DatagramBuffers, AcceptedDatagramsOnlyInTheirOrder) {
  Path p;
  p.fill(0, "one");
  p.fill(1, "rejected").verdict = Verdict::WrongGroup;
  p.fill(2, "two");
  p.fill(3, "past n");
  const auto& made = p.make(3);
  ASSERT_EQ(made.size(), 2u);
  EXPECT_EQ(bytes_of(made[0]), "one");
  EXPECT_EQ(bytes_of(made[1]), "two");
  // The rejected datagram's and the unused slots' buffers are read into again.
  ASSERT_TRUE(p.buffers.prepare_slots());
  p.fill(0, "three");
  ASSERT_EQ(p.make(1).size(), 1u);
  EXPECT_EQ(bytes_of(p.out.back()), "three");
}

TEST(DatagramBuffers, SkipFirstBytesCutsTheHeadAndDropsADatagramTooShortReportingItOnce) {
  Path p;
  p.settings.skip_first_bytes = 4;
  p.fill(0, "HEADbody");
  p.fill(1, "HEA");
  p.fill(2, "HEAD");
  const auto& made = p.make(3);
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(bytes_of(made[0]), "body");
  const auto reported = p.buffers.take_too_short_for_skip();
  ASSERT_TRUE(reported.has_value());
  EXPECT_EQ(*reported, 3u);
  ASSERT_TRUE(p.buffers.prepare_slots());
  p.fill(0, "xy");
  EXPECT_TRUE(p.make(1).empty());
  EXPECT_FALSE(p.buffers.take_too_short_for_skip().has_value()) << "reported a second time";
}

TEST(DatagramBuffers, TimestampsPlaceEachDatagramAtItsKernelArrival) {
  Path p;
  p.clock.now_running = 10 * GST_SECOND;
  p.clock.now_realtime_ns = 1000 * GST_SECOND;
  p.fill(0, "a").arrival_realtime_ns = 1000 * GST_SECOND - 300 * GST_MSECOND;  // 300 ms ago
  p.fill(1, "b").arrival_realtime_ns = 0;                                      // unknown: now
  p.fill(2, "c").arrival_realtime_ns = 1001 * GST_SECOND;                      // ahead of now: now
  p.fill(3, "d").arrival_realtime_ns = 900 * GST_SECOND;                       // before the pipeline ran: 0
  const auto& made = p.make(4);
  ASSERT_EQ(made.size(), 4u);
  EXPECT_EQ(GST_BUFFER_PTS(made[0]), 9700 * GST_MSECOND);
  EXPECT_EQ(GST_BUFFER_DTS(made[0]), 9700 * GST_MSECOND);
  EXPECT_EQ(GST_BUFFER_PTS(made[1]), 10 * GST_SECOND);
  EXPECT_EQ(GST_BUFFER_PTS(made[2]), 10 * GST_SECOND);
  EXPECT_EQ(GST_BUFFER_PTS(made[3]), 0u);
  // Without a clock, no timestamp.
  Path q;
  q.fill(0, "e").arrival_realtime_ns = 5;
  EXPECT_FALSE(GST_BUFFER_PTS_IS_VALID(q.make(1).at(0)));
}

TEST(DatagramBuffers, MetasNameTheGroupPortInterfaceAndSender) {
  Path p;
  p.fill(0, "x", 1, 3, "10.0.0.7");
  const auto& made = p.make(1);
  ASSERT_EQ(made.size(), 1u);
  GstCustomMeta* meta = gst_buffer_get_custom_meta(made[0], MCASTEXPERT_RECEIVE_META_NAME);
  ASSERT_NE(meta, nullptr);
  const GstStructure* s = gst_custom_meta_get_structure(meta);
  EXPECT_STREQ(gst_structure_get_string(s, "group"), "239.1.1.2");
  EXPECT_STREQ(gst_structure_get_string(s, "ifname"), "eth1");
  guint port = 0, ifindex = 0;
  EXPECT_TRUE(gst_structure_get_uint(s, "port", &port));
  EXPECT_TRUE(gst_structure_get_uint(s, "ifindex", &ifindex));
  EXPECT_EQ(port, 5004u);
  EXPECT_EQ(ifindex, 3u);
  GstNetAddressMeta* addr = gst_buffer_get_net_address_meta(made[0]);
  ASSERT_NE(addr, nullptr);
  gchar* ip = g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(addr->addr)));
  EXPECT_STREQ(ip, "10.0.0.7");
  g_free(ip);
  EXPECT_EQ(g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(addr->addr)), 40000);
  // retrieve-sender-address=false: no sender meta, also on a pooled buffer that had one.
  for (GstBuffer* b : p.out) gst_buffer_unref(b);
  p.out.clear();
  p.settings.retrieve_sender_address = false;
  ASSERT_TRUE(p.buffers.prepare_slots());
  for (size_t i = 0; i < 8; ++i) p.fill(i, "y");
  for (GstBuffer* b : p.make(8)) EXPECT_EQ(gst_buffer_get_net_address_meta(b), nullptr);
}

TEST(DatagramBuffers, ACoalescedReadBecomesOneBufferPerDatagram) {
  Path p;
  std::string all;
  for (const char c : {'a', 'b', 'c'}) all += std::string(c == 'c' ? 50 : 100, c);
  ReceiveSlot& s = p.fill(0, all);
  s.segments = 3;
  s.segment_size = 100;
  const auto& made = p.make(1);
  ASSERT_EQ(made.size(), 3u);
  EXPECT_EQ(bytes_of(made[0]), std::string(100, 'a'));
  EXPECT_EQ(bytes_of(made[1]), std::string(100, 'b'));
  EXPECT_EQ(bytes_of(made[2]), std::string(50, 'c'));
  for (GstBuffer* b : made) EXPECT_NE(gst_buffer_get_custom_meta(b, MCASTEXPERT_RECEIVE_META_NAME), nullptr);
}

TEST(DatagramBuffers, ADatagramLargerThanMtuStaysWhole) {
  Path p;
  const std::string head(kMtu, 'h');
  const std::string rest(500, 'r');
  ReceiveSlot& s = p.fill(0, head);
  s.length = kMtu + rest.size();
  s.overflow = reinterpret_cast<const uint8_t*>(rest.data());
  const auto& made = p.make(1);
  ASSERT_EQ(made.size(), 1u);
  EXPECT_EQ(bytes_of(made[0]), head + rest);
}

TEST(DatagramBuffers, AMergeDeliversTheFirstCopyOfEachPacketAndCountsWhatIsNotRtp) {
  Path p;
  RtpMerger merger(500 * GST_MSECOND, 2);
  std::atomic<uint64_t> not_rtp{0};
  p.fill(0, rtp(1, "first"), 0);
  p.fill(1, rtp(1, "copy"), 1);
  p.fill(2, rtp(2, "second"), 1);
  p.fill(3, "not rtp", 0);
  const auto& made = p.make(4, false, {&merger, &not_rtp});
  ASSERT_EQ(made.size(), 2u);
  EXPECT_EQ(bytes_of(made[0]), rtp(1, "first"));
  EXPECT_EQ(bytes_of(made[1]), rtp(2, "second"));
  EXPECT_EQ(not_rtp.load(), 1u);
  EXPECT_EQ(merger.leg(1).duplicates.load(), 1u);
  EXPECT_EQ(p.heard, (std::vector<size_t>{0, 1, 1, 0})) << "each accepted read tells which leg carried it";
}

TEST(DatagramBuffers, ReadsFromSeveralSocketsGoOnInArrivalOrder) {
  Path p;
  p.fill(0, "third").arrival_realtime_ns = 300;
  p.fill(1, "first").arrival_realtime_ns = 100;
  p.fill(2, "second").arrival_realtime_ns = 200;
  const auto& made = p.make(3, true);
  ASSERT_EQ(made.size(), 3u);
  EXPECT_EQ(bytes_of(made[0]), "first");
  EXPECT_EQ(bytes_of(made[1]), "second");
  EXPECT_EQ(bytes_of(made[2]), "third");
}

TEST(DatagramBuffers, PackingJoinsEachRunOfOneFlowUpTo64KiB) {
  Path p(8, true);
  p.fill(0, "aa");
  p.fill(1, "bb");
  p.fill(2, "cc", 0, 2, "10.0.0.9");  // another sender: a new run
  p.fill(3, "dd", 0, 2, "10.0.0.9");
  p.fill(4, "ee", 1);  // another group
  const auto& made = p.make(5);
  ASSERT_EQ(made.size(), 3u);
  EXPECT_EQ(bytes_of(made[0]), "aabb");
  EXPECT_EQ(bytes_of(made[1]), "ccdd");
  EXPECT_EQ(bytes_of(made[2]), "ee");
  EXPECT_NE(gst_buffer_get_custom_meta(made[0], MCASTEXPERT_RECEIVE_META_NAME), nullptr) << "the first one's metas";
  // A run longer than 64 KiB is cut.
  Path big(64, true);
  for (size_t i = 0; i < 50; ++i) big.fill(i, std::string(1400, 'x'));
  const auto& packed = big.make(50);
  ASSERT_EQ(packed.size(), 2u);
  EXPECT_LE(gst_buffer_get_size(packed[0]), DatagramBuffers::kMaxPackedBytes);
  EXPECT_EQ(gst_buffer_get_size(packed[0]) + gst_buffer_get_size(packed[1]), 50u * 1400);
}

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  mcastexpert_receive_meta_register();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
