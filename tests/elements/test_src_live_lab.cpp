// SrcLive: mcastexpertsrc in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B (with
// txb). Senders are plain sockets, so these tests prove the receiver alone.
#include "src_lab.hpp"

// --- what can change while PLAYING, and what cannot ---

TEST(SrcLive, SkipFirstBytesChangedWhilePlayingAppliesToTheNextDatagram) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.40.1 iface=eth0 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  RawSender tx("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"));
  tx.send("239.255.40.1", port, "HDR:before");
  EXPECT_EQ(rx.drain(), std::vector<std::string>{"HDR:before"});
  g_object_set(rx.element(), "skip-first-bytes", 4, nullptr);
  tx.send("239.255.40.1", port, "HDR:after");
  EXPECT_EQ(rx.drain(), std::vector<std::string>{"after"});
  g_object_set(rx.element(), "skip-first-bytes", 0, nullptr);
  tx.send("239.255.40.1", port, "HDR:again");
  EXPECT_EQ(rx.drain(), std::vector<std::string>{"HDR:again"});
}

TEST(SrcLive, SenderAddressMetaFollowsTheSettingWhilePlaying) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.40.2 iface=eth0 batch-size=1 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  RawSender tx("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"));
  auto has_sender_meta = [&](const char* payload) {
    tx.send("239.255.40.2", port, payload);
    GstBuffer* buf = rx.pull();
    if (buf == nullptr) throw std::runtime_error(std::string("nothing arrived for ") + payload);
    const bool has = gst_buffer_get_net_address_meta(buf) != nullptr;
    gst_buffer_unref(buf);  // back to the pool, to be reused for the next datagram
    return has;
  };
  EXPECT_TRUE(has_sender_meta("on"));
  g_object_set(rx.element(), "retrieve-sender-address", FALSE, nullptr);
  EXPECT_FALSE(has_sender_meta("off"));
  EXPECT_FALSE(has_sender_meta("still-off"));
  g_object_set(rx.element(), "retrieve-sender-address", TRUE, nullptr);
  EXPECT_TRUE(has_sender_meta("on-again"));
}

TEST(SrcLive, TimeoutSetWhilePlayingAppliesToTheWaitUnderWay) {
  Pipeline p("mcastexpertsrc name=src groups=239.255.40.3 iface=eth0 port=" + std::to_string(next_port()) +
             " ! fakesink");
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  EXPECT_EQ(p.wait_for(GST_MESSAGE_ELEMENT, 300ms), nullptr);  // timeout=0: none
  g_object_set(p.by_name("src"), "timeout", G_GUINT64_CONSTANT(150000000), nullptr);
  GstMessage* m = p.wait_for(GST_MESSAGE_ELEMENT, 3000ms);
  ASSERT_NE(m, nullptr) << "the new timeout never fired: the wait under way kept the old one";
  guint64 timeout = 0;
  gst_structure_get_uint64(gst_message_get_structure(m), "timeout", &timeout);
  EXPECT_EQ(timeout, 150000000u);
  gst_message_unref(m);
  g_object_set(p.by_name("src"), "timeout", G_GUINT64_CONSTANT(0), nullptr);
  while (GstMessage* late = p.wait_for(GST_MESSAGE_ELEMENT, 50ms)) gst_message_unref(late);  // one may be in flight
  EXPECT_EQ(p.wait_for(GST_MESSAGE_ELEMENT, 400ms), nullptr) << "timeout=0 set while PLAYING still fires";
}

TEST(SrcLive, CapsChangedWhilePlayingAreOnTheNextBuffer) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.40.4 iface=eth0 caps=application/x-mcastexpert-test,v=(int)1 port=" +
                       std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  RawSender tx("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"));
  auto caps_with_next_buffer = [&] {
    tx.send("239.255.40.4", port, "x");
    GstBuffer* buf = rx.pull();
    if (buf == nullptr) throw std::runtime_error("nothing arrived");
    gst_buffer_unref(buf);
    GstCaps* caps = gst_pad_get_current_caps(rx.get()->sinkpad);
    gchar* text = gst_caps_to_string(caps);
    std::string out = text;
    g_free(text);
    gst_caps_unref(caps);
    return out;
  };
  EXPECT_EQ(caps_with_next_buffer(), "application/x-mcastexpert-test, v=(int)1");
  GstCaps* two = gst_caps_from_string("application/x-mcastexpert-test,v=(int)2");
  g_object_set(rx.element(), "caps", two, nullptr);
  gst_caps_unref(two);
  EXPECT_EQ(caps_with_next_buffer(), "application/x-mcastexpert-test, v=(int)2");
}

TEST(SrcLive, SocketPropertiesAreRefusedWhilePlayingWithAWarning) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.40.5 iface=eth0 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  g_object_set(rx.element(), "iface", "eth1", "mtu", 9000u, nullptr);
  gchar* iface = nullptr;
  guint mtu = 0;
  g_object_get(rx.element(), "iface", &iface, "mtu", &mtu, nullptr);
  EXPECT_STREQ(iface, "eth0");
  EXPECT_EQ(mtu, 1500u);
  g_free(iface);
  const auto warnings = rx.messages(GST_MESSAGE_WARNING);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("Property 'iface' cannot change to \"eth1\" while PLAYING"), std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[1].find("Property 'mtu' cannot change"), std::string::npos) << warnings[1];
  // Still joined where it was.
  send_from_txa("239.255.40.5", port, "kept");
  EXPECT_EQ(rx.drain(), tags("kept"));
}

TEST(SrcLive, MtuAndBatchSizeSetInReadyApplyAtTheNextStart) {
  const auto port = next_port();
  Pipeline p("mcastexpertsrc name=src groups=239.255.40.6 iface=eth0 port=" + std::to_string(port) +
             " ! fakesink sync=false");
  GstElement* e = p.by_name("src");
  ASSERT_TRUE(p.set_state("rx", GST_STATE_READY));
  g_object_set(e, "mtu", 100u, "batch-size", 1u, nullptr);
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  GstPad* pad = gst_element_get_static_pad(e, "src");
  std::vector<gsize> first_memory_sizes;
  gst_pad_add_probe(
      pad, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad*, GstPadProbeInfo* info, gpointer data) {
        GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
        static_cast<std::vector<gsize>*>(data)->push_back(gst_buffer_peek_memory(buf, 0)->size);
        return GST_PAD_PROBE_OK;
      },
      &first_memory_sizes, nullptr);
  gst_object_unref(pad);
  RawSender tx("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"));
  const std::string big(300, 'b');
  tx.send("239.255.40.6", port, big);
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (first_memory_sizes.empty() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(first_memory_sizes.size(), 1u);
  EXPECT_EQ(first_memory_sizes[0], 100u) << "the 300-byte datagram was not read into a 100-byte (mtu) buffer";
}

// --- the timeout's range ---

TEST(SrcLive, TimeoutNearTheTopOfItsRangeNeverFiresEarly) {
  // 2^32 ms + 50 ms (a cast to int waits 50 ms) and the very top (which went negative): neither fires soon.
  for (const guint64 timeout : {((G_GUINT64_CONSTANT(1) << 32) + 50) * 1000000, G_MAXUINT64}) {
    const auto port = next_port();
    Pipeline p("mcastexpertsrc name=src groups=239.255.40.7 iface=eth0 port=" + std::to_string(port) +
               " timeout=" + std::to_string(timeout) + " ! fakesink name=sink");
    ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
    EXPECT_EQ(p.wait_for(GST_MESSAGE_ELEMENT, 500ms), nullptr) << "timeout " << timeout << " fired early";
    send_from_txa("239.255.40.7", port, "still-receiving", 2);
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    guint64 rendered = 0;
    while (rendered < 2 && std::chrono::steady_clock::now() < deadline) {
      GstStructure* stats = nullptr;
      g_object_get(p.by_name("sink"), "stats", &stats, nullptr);
      gst_structure_get_uint64(stats, "rendered", &rendered);
      gst_structure_free(stats);
      std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(rendered, 2u) << "timeout " << timeout;
  }
}

int main(int argc, char** argv) {
  return run_src_lab(argc, argv);
}
