// SrcPacked: mcastexpertsrc in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B (with
// txb). Senders are plain sockets, so these tests prove the receiver alone.
#include "src_lab.hpp"

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

int main(int argc, char** argv) {
  return run_src_lab(argc, argv);
}
