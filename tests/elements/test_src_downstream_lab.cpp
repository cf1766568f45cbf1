// SrcDownstream: mcastexpertsrc in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B
// (with txb). Senders are plain sockets, so these tests prove the receiver alone.
#include "src_lab.hpp"

namespace {

// A pad that stands in for downstream: it records what reaches it and answers each buffer with `answer`.
struct Downstream {
  GstPad* pad = gst_pad_new("downstream", GST_PAD_SINK);
  std::atomic<GstFlowReturn> answer{GST_FLOW_OK};
  std::atomic<int> buffers{0};
  std::atomic<bool> eos{false};

  Downstream() {
    gst_pad_set_element_private(pad, this);
    gst_pad_set_chain_function(pad, [](GstPad* p, GstObject*, GstBuffer* b) {
      auto* self = static_cast<Downstream*>(gst_pad_get_element_private(p));
      gst_buffer_unref(b);
      ++self->buffers;
      return self->answer.load();
    });
    gst_pad_set_chain_list_function(pad, [](GstPad* p, GstObject*, GstBufferList* l) {
      auto* self = static_cast<Downstream*>(gst_pad_get_element_private(p));
      self->buffers += static_cast<int>(gst_buffer_list_length(l));
      gst_buffer_list_unref(l);
      return self->answer.load();
    });
    gst_pad_set_event_function(pad, [](GstPad* p, GstObject*, GstEvent* e) -> gboolean {
      auto* self = static_cast<Downstream*>(gst_pad_get_element_private(p));
      if (GST_EVENT_TYPE(e) == GST_EVENT_EOS) self->eos = true;
      if (GST_EVENT_TYPE(e) == GST_EVENT_FLUSH_STOP) self->eos = false;
      gst_event_unref(e);
      return TRUE;
    });
    gst_pad_set_active(pad, TRUE);
  }
  ~Downstream() {
    gst_pad_set_active(pad, FALSE);
    gst_object_unref(pad);
  }
  Downstream(const Downstream&) = delete;
  Downstream& operator=(const Downstream&) = delete;

  bool wait_for(int n, std::chrono::milliseconds timeout = 2000ms) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (buffers.load() < n && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(2ms);
    return buffers.load() >= n;
  }
};

// A source on rx linked to `down`, with its own bus.
struct SrcIntoDownstream {
  GstElement* element;
  GstBus* bus = gst_bus_new();
  uint16_t port = next_port();

  explicit SrcIntoDownstream(Downstream& down) : element(gst_element_factory_make("mcastexpertsrc", nullptr)) {
    gst_object_ref_sink(element);
    gst_util_set_object_arg(G_OBJECT(element), "groups", "239.255.40.1");
    gst_util_set_object_arg(G_OBJECT(element), "iface", "eth0");
    g_object_set(element, "port", static_cast<gint>(port), nullptr);
    gst_element_set_bus(element, bus);
    GstPad* pad = gst_element_get_static_pad(element, "src");
    gst_pad_link(pad, down.pad);
    gst_object_unref(pad);
  }
  ~SrcIntoDownstream() {
    gst_element_set_state(element, GST_STATE_NULL);
    gst_bus_set_flushing(bus, TRUE);
    gst_object_unref(element);
    gst_object_unref(bus);
  }
  SrcIntoDownstream(const SrcIntoDownstream&) = delete;
  SrcIntoDownstream& operator=(const SrcIntoDownstream&) = delete;

  bool set_state(GstState state) {
    lab::InHost in("rx");
    return gst_element_set_state(element, state) != GST_STATE_CHANGE_FAILURE;
  }
  // How long the way to NULL takes.
  std::chrono::milliseconds time_to_null() {
    const auto t0 = std::chrono::steady_clock::now();
    gst_element_set_state(element, GST_STATE_NULL);
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  }
  void send(int count) { send_from_txa("239.255.40.1", port, "d", count); }
};

}  // namespace

TEST(SrcDownstream, NotLinkedDownstreamIsAnErrorThenStopAndRestartAreClean) {
  Downstream down;
  SrcIntoDownstream s(down);
  ASSERT_TRUE(s.set_state(GST_STATE_PLAYING));
  s.send(1);
  ASSERT_TRUE(down.wait_for(1));
  down.answer = GST_FLOW_NOT_LINKED;
  s.send(1);
  GstMessage* error = gst_bus_timed_pop_filtered(s.bus, 2 * GST_SECOND, GST_MESSAGE_ERROR);
  ASSERT_NE(error, nullptr) << "a downstream that is not linked must be an error, as for every GStreamer source";
  gchar* debug = nullptr;
  gst_message_parse_error(error, nullptr, &debug);
  EXPECT_NE(std::string(debug != nullptr ? debug : "").find("not-linked"), std::string::npos) << debug;
  g_free(debug);
  gst_message_unref(error);
  EXPECT_LT(s.time_to_null(), 100ms);
  down.answer = GST_FLOW_OK;
  const int before = down.buffers.load();
  ASSERT_TRUE(s.set_state(GST_STATE_PLAYING));
  s.send(3);
  EXPECT_TRUE(down.wait_for(before + 3)) << "restarted after the error: " << down.buffers.load() - before << " of 3";
}

TEST(SrcDownstream, FlushingDownstreamStopsQuietlyAndRestartIsClean) {
  Downstream down;
  SrcIntoDownstream s(down);
  ASSERT_TRUE(s.set_state(GST_STATE_PLAYING));
  down.answer = GST_FLOW_FLUSHING;
  s.send(3);
  ASSERT_TRUE(down.wait_for(1));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(messages_on(s.bus, GST_MESSAGE_ERROR), std::vector<std::string>{}) << "FLUSHING is not an error";
  EXPECT_LT(s.time_to_null(), 100ms);
  down.answer = GST_FLOW_OK;
  const int before = down.buffers.load();
  ASSERT_TRUE(s.set_state(GST_STATE_PLAYING));
  s.send(3);
  EXPECT_TRUE(down.wait_for(before + 3));
}

TEST(SrcDownstream, EosSentWhileStreamingEndsTheStreamAndRestartIsClean) {
  Downstream down;
  SrcIntoDownstream s(down);
  ASSERT_TRUE(s.set_state(GST_STATE_PLAYING));
  s.send(3);
  ASSERT_TRUE(down.wait_for(3));
  const auto t0 = std::chrono::steady_clock::now();
  gst_element_send_event(s.element, gst_event_new_eos());
  while (!down.eos.load() && std::chrono::steady_clock::now() - t0 < 2s) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(down.eos.load()) << "EOS reached downstream";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms) << "EOS waits for no datagram";
  const int at_eos = down.buffers.load();
  s.send(3);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(down.buffers.load(), at_eos) << "nothing after EOS";
  EXPECT_LT(s.time_to_null(), 100ms);
  ASSERT_TRUE(s.set_state(GST_STATE_PLAYING));
  s.send(3);
  EXPECT_TRUE(down.wait_for(at_eos + 3)) << "a new stream after restart";
}

TEST(SrcDownstream, AFlushFromDownstreamWakesTheReadAtOnceAndRestartIsClean) {
  Downstream down;
  SrcIntoDownstream s(down);
  ASSERT_TRUE(s.set_state(GST_STATE_PLAYING));
  s.send(2);
  ASSERT_TRUE(down.wait_for(2));
  // The read is now blocked waiting for a datagram; a flush must wake it and the streaming thread stop (as for any
  // live base source, it runs again at the next start, not at flush-stop).
  GstPad* pad = gst_element_get_static_pad(s.element, "src");
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(gst_pad_push_event(down.pad, gst_event_new_flush_start()));
  while (gst_pad_get_task_state(pad) == GST_TASK_STARTED && std::chrono::steady_clock::now() - t0 < 2s)
    std::this_thread::sleep_for(1ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms) << "the streaming thread left the read";
  gst_object_unref(pad);
  ASSERT_TRUE(gst_pad_push_event(down.pad, gst_event_new_flush_stop(TRUE)));
  EXPECT_EQ(messages_on(s.bus, GST_MESSAGE_ERROR), std::vector<std::string>{}) << "a flush is not an error";
  EXPECT_LT(s.time_to_null(), 100ms);
  ASSERT_TRUE(s.set_state(GST_STATE_PLAYING));
  s.send(3);
  EXPECT_TRUE(down.wait_for(5)) << down.buffers.load() << " of 5 after the flush and a restart";
}

int main(int argc, char** argv) {
  return run_src_lab(argc, argv);
}
