// demo-probe: receives an RTP stream with mcastexpertsrc for a while and says what arrived — packets, bytes, loss
// (from RTP sequence numbers), bitrate — then exits non-zero if nothing did. Used by scripts/demo.
//
//   demo-probe GROUP IFACE PORT SECONDS
#include <gst/gst.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

struct Count {
  guint64 packets = 0;
  guint64 bytes = 0;
  guint64 lost = 0;
  int last_seq = -1;
  GstClockTime first = GST_CLOCK_TIME_NONE;
  GstClockTime last = GST_CLOCK_TIME_NONE;
};

void on_handoff(GstElement*, GstBuffer* buf, GstPad*, gpointer data) {
  auto* c = static_cast<Count*>(data);
  const GstClockTime now = gst_util_get_timestamp();
  if (c->packets == 0) c->first = now;
  c->last = now;
  ++c->packets;
  c->bytes += gst_buffer_get_size(buf);
  guint8 header[4];
  if (gst_buffer_extract(buf, 0, header, 4) == 4 && (header[0] >> 6) == 2) {
    const int seq = (header[2] << 8) | header[3];
    if (c->last_seq >= 0) c->lost += static_cast<guint64>((seq - c->last_seq - 1 + 65536) % 65536);
    c->last_seq = seq;
  }
}

}  // namespace

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s GROUP IFACE PORT SECONDS\n", argv[0]);
    return 2;
  }
  const std::string launch = std::string("mcastexpertsrc name=src groups=") + argv[1] + " iface=" + argv[2] +
                             " port=" + argv[3] + " ! fakesink name=sink sync=false signal-handoffs=true";
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(launch.c_str(), &err);
  if (pipeline == nullptr) {
    std::fprintf(stderr, "demo-probe: %s\n", err->message);
    return 2;
  }
  Count count;
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_signal_connect(sink, "handoff", G_CALLBACK(on_handoff), &count);
  gst_object_unref(sink);

  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    GstBus* bus = gst_element_get_bus(pipeline);
    if (GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
      gst_message_parse_error(m, &err, nullptr);
      std::fprintf(stderr, "demo-probe: %s\n", err->message);
      g_clear_error(&err);
      gst_message_unref(m);
    }
    gst_object_unref(bus);
    return 2;
  }
  std::printf("receiving %s on %s port %s for %s s\n", argv[1], argv[2], argv[3], argv[4]);
  std::fflush(stdout);
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* m =
      gst_bus_timed_pop_filtered(bus, static_cast<GstClockTime>(std::atof(argv[4]) * GST_SECOND), GST_MESSAGE_ERROR);
  if (m != nullptr) {
    gst_message_parse_error(m, &err, nullptr);
    std::fprintf(stderr, "demo-probe: %s\n", err->message);
    g_clear_error(&err);
    gst_message_unref(m);
  }
  gst_object_unref(bus);

  GstStructure* stats = nullptr;
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  g_object_get(src, "stats", &stats, nullptr);
  gst_object_unref(src);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);

  guint64 rejected = 0, dropped = 0;
  gst_structure_get_uint64(stats, "packets-rejected", &rejected);
  gst_structure_get_uint64(stats, "packets-dropped-kernel", &dropped);
  gst_structure_free(stats);
  const double seconds =
      count.packets > 1 ? static_cast<double>(count.last - count.first) / static_cast<double>(GST_SECOND) : 0.0;
  const guint64 expected = count.packets + count.lost;
  std::printf("arrived: %" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT " bytes in %.2f s\n", count.packets,
              count.bytes, seconds);
  std::printf("loss:    %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
              " RTP packets (%.2f %%); kernel drops %" G_GUINT64_FORMAT ", rejected %" G_GUINT64_FORMAT "\n",
              count.lost, expected,
              expected ? 100.0 * static_cast<double>(count.lost) / static_cast<double>(expected) : 0.0, dropped,
              rejected);
  std::printf("bitrate: %.2f Mbit/s\n", seconds > 0 ? static_cast<double>(count.bytes) * 8 / seconds / 1e6 : 0.0);
  return count.packets > 0 ? 0 : 1;
}
