// SrcState: mcastexpertsrc in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B (with
// txb). Senders are plain sockets, so these tests prove the receiver alone.
#include "src_lab.hpp"

// --- running state, and errors ---

TEST(SrcState, PortZeroReadsTheBoundPortOnlyWhileOpen) {
  GstElement* e = gst_element_factory_make("mcastexpertsrc", nullptr);
  g_object_set(e, "groups", "239.255.41.1", "iface", "eth0", "port", 0, nullptr);
  gint port = -1;
  {
    lab::InHost in("rx");
    ASSERT_EQ(gst_element_set_state(e, GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
  }
  g_object_get(e, "port", &port, nullptr);
  EXPECT_GT(port, 0);
  gchar* uri = gst_uri_handler_get_uri(GST_URI_HANDLER(e));
  EXPECT_EQ(std::string(uri), "mcast://239.255.41.1:" + std::to_string(port) + "?iface=eth0");
  g_free(uri);
  ASSERT_EQ(gst_element_set_state(e, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  g_object_get(e, "port", &port, nullptr);
  EXPECT_EQ(port, 0) << "the bound port was written back into what the user set";
  gst_object_unref(e);
}

TEST(SrcState, ErrorsArePostedWithNoLockHeld) {
  expect_errors_posted_with_no_lock_held("mcastexpertsrc", "239.255.41.2", GST_STATE_PLAYING);
}

TEST(SrcState, AUriIsTakenWholeOrNotAtAll) {
  GstElement* e =
      gst_element_make_from_uri(GST_URI_SRC, "mcast://239.255.41.3:6100?iface=eth1&mtu=2000", nullptr, nullptr);
  ASSERT_NE(e, nullptr);
  for (const char* bad : {"mcast://239.255.41.4:6200?iface=eth0&mtu=abc", "mcast://239.255.41.4?timeout=-1",
                          "mcast://239.255.41.4?mtu=", "mcast://239.255.41.4?sources=239.1.1.1",
                          "mcast://239.255.41.4?iface=eth0%00x", "mcast://239.255.41.4?batch-size=0"}) {
    GError* err = nullptr;
    EXPECT_FALSE(gst_uri_handler_set_uri(GST_URI_HANDLER(e), bad, &err)) << bad;
    ASSERT_NE(err, nullptr) << bad;
    EXPECT_NE(std::string(err->message).find("Fix:"), std::string::npos) << err->message;
    g_error_free(err);
    gchar* uri = gst_uri_handler_get_uri(GST_URI_HANDLER(e));
    EXPECT_STREQ(uri, "mcast://239.255.41.3:6100?iface=eth1&mtu=2000") << "after " << bad;
    g_free(uri);
  }
  // A later URI's missing keys go back to their defaults: it describes the element.
  ASSERT_TRUE(gst_uri_handler_set_uri(GST_URI_HANDLER(e), "mcast://239.255.41.5?loop=true", nullptr));
  gchar* uri = gst_uri_handler_get_uri(GST_URI_HANDLER(e));
  EXPECT_STREQ(uri, "mcast://239.255.41.5:5004?loop=true");
  g_free(uri);
  gst_object_unref(e);
}

TEST(SrcState, PrivilegedPortSaysWhy) {
  GstElement* e = gst_element_factory_make("mcastexpertsrc", nullptr);
  g_object_set(e, "groups", "239.255.41.6", "iface", "eth0", "port", 99, nullptr);
  const auto errors = errors_without_capability(e, "rx", GST_STATE_READY, CAP_NET_BIND_SERVICE);
  ASSERT_FALSE(errors.empty());  // the element's own error first (a base class may add "Failed to start")
  EXPECT_NE(errors[0].find("Property 'port' (\"99\")"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("CAP_NET_BIND_SERVICE"), std::string::npos) << errors[0];
  EXPECT_EQ(errors[0].find("is taken"), std::string::npos) << errors[0];
  gst_object_unref(e);
}

int main(int argc, char** argv) {
  return run_src_lab(argc, argv);
}
