/* Receives a multicast group on one interface with mcastexpertsrc and prints, for each datagram, where it came
 * from: the group and port it was sent to and the interface it arrived on (McastExpertReceiveMeta), and the
 * sender (GstNetAddressMeta).
 *
 *   cc receive-meta.c -o receive-meta $(pkg-config --cflags --libs gstreamer-1.0 gstreamer-net-1.0 gstreamer-app-1.0 \
 *       gio-2.0)
 *   ./receive-meta GROUP IFACE [COUNT] [PORT]
 */
#include <gio/gio.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/net/gstnetaddressmeta.h>
#include <stdlib.h>

static void print_datagram(GstBuffer *buf) {
  const char *group = "?", *ifname = "?";
  guint port = 0, ifindex = 0;
  GstCustomMeta *meta = gst_buffer_get_custom_meta(buf, "McastExpertReceiveMeta");
  if (meta != NULL) {
    const GstStructure *s = gst_custom_meta_get_structure(meta);
    group = gst_structure_get_string(s, "group");
    ifname = gst_structure_get_string(s, "ifname");
    gst_structure_get_uint(s, "port", &port);
    gst_structure_get_uint(s, "ifindex", &ifindex);
  }
  gchar *sender = g_strdup("?");
  GstNetAddressMeta *from = gst_buffer_get_net_address_meta(buf);
  if (from != NULL && G_IS_INET_SOCKET_ADDRESS(from->addr)) {
    GInetSocketAddress *sa = G_INET_SOCKET_ADDRESS(from->addr);
    gchar *ip = g_inet_address_to_string(g_inet_socket_address_get_address(sa));
    g_free(sender);
    sender = g_strdup_printf("%s:%u", ip, g_inet_socket_address_get_port(sa));
    g_free(ip);
  }
  g_print("%" G_GSIZE_FORMAT " bytes to %s:%u on %s (index %u) from %s\n", gst_buffer_get_size(buf), group, port,
          ifname, ifindex, sender);
  g_free(sender);
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  if (argc < 3) {
    g_printerr("usage: %s GROUP IFACE [COUNT] [PORT]\n", argv[0]);
    return 2;
  }
  const int count = argc > 3 ? atoi(argv[3]) : 10;
  const int port = argc > 4 ? atoi(argv[4]) : 5004;

  GstElement *pipeline = gst_pipeline_new(NULL);
  GstElement *src = gst_element_factory_make("mcastexpertsrc", NULL);
  GstElement *sink = gst_element_factory_make("appsink", NULL);
  if (src == NULL || sink == NULL) {
    g_printerr("mcastexpertsrc or appsink is missing (gst-inspect-1.0 mcastexpertsrc tells why)\n");
    return 1;
  }
  g_object_set(src, "groups", argv[1], "iface", argv[2], "port", port, NULL);
  g_object_set(sink, "sync", FALSE, NULL);
  gst_bin_add_many(GST_BIN(pipeline), src, sink, NULL);
  gst_element_link(src, sink);
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* The error message on the bus says what to fix: an unknown interface, a unicast group... */
    GstMessage *msg = gst_bus_pop_filtered(GST_ELEMENT_BUS(pipeline), GST_MESSAGE_ERROR);
    if (msg != NULL) {
      GError *err = NULL;
      gchar *debug = NULL;
      gst_message_parse_error(msg, &err, &debug);
      g_printerr("%s\n%s\n", err->message, debug != NULL ? debug : "");
      g_clear_error(&err);
      g_free(debug);
      gst_message_unref(msg);
    }
    gst_object_unref(pipeline);
    return 1;
  }
  for (int i = 0; i < count; ++i) {
    GstSample *sample = gst_app_sink_pull_sample(GST_APP_SINK(sink));
    if (sample == NULL) break; /* EOS or error */
    print_datagram(gst_sample_get_buffer(sample));
    gst_sample_unref(sample);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return 0;
}
