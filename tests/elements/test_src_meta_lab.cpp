// SrcMeta: mcastexpertsrc in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B (with
// txb). Senders are plain sockets, so these tests prove the receiver alone.
#include "src_lab.hpp"

TEST(SrcMeta, ReceiveMetaGoesAlongOnCopiesAndOtherTransforms) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.42.1 iface=eth1 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  send_from_txb("239.255.42.1", port, "m", 1);
  GstBuffer* buf = rx.pull();
  ASSERT_NE(buf, nullptr);
  GstBuffer* copy = gst_buffer_copy(buf);
  GstCustomMeta* meta = gst_buffer_get_custom_meta(buf, "McastExpertReceiveMeta");
  ASSERT_NE(meta, nullptr);
  // A transform other than a copy (what a scaler asks for): the arrival interface is still true.
  GstBuffer* scaled = gst_buffer_new_allocate(nullptr, 1, nullptr);
  ASSERT_TRUE(meta->meta.info->transform_func(scaled, &meta->meta, buf, g_quark_from_static_string("gst-video-scale"),
                                              nullptr));
  for (GstBuffer* b : {copy, scaled}) {
    GstCustomMeta* m = gst_buffer_get_custom_meta(b, "McastExpertReceiveMeta");
    ASSERT_NE(m, nullptr);
    const GstStructure* s = gst_custom_meta_get_structure(m);
    EXPECT_STREQ(gst_structure_get_string(s, "group"), "239.255.42.1");
    EXPECT_STREQ(gst_structure_get_string(s, "ifname"), "eth1");
    guint meta_port = 0;
    gst_structure_get_uint(s, "port", &meta_port);
    EXPECT_EQ(meta_port, port);
  }
  gst_buffer_unref(scaled);
  gst_buffer_unref(copy);
  gst_buffer_unref(buf);
}

int main(int argc, char** argv) {
  return run_src_lab(argc, argv);
}
