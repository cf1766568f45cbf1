// SrcFollows: mcastexpertsrc in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B (with
// txb). Senders are plain sockets, so these tests prove the receiver alone.
#include "src_lab.hpp"

// --- following interfaces that change while PLAYING ---

// Sends `payload` from txa by `ifname` every 50 ms until `rx` delivers it; how long that took (or 5 s: never).
static std::chrono::milliseconds time_to_deliver(Harness& rx, const std::string& group, uint16_t port,
                                                 const std::string& source, const std::string& ifname,
                                                 const std::string& payload) {
  const auto start = std::chrono::steady_clock::now();
  RawSender tx("txa", source, index_in("txa", ifname));
  while (std::chrono::steady_clock::now() - start < 5s) {
    tx.send(group, port, payload);
    if (GstBuffer* b = rx.pull(50ms)) {
      const bool it = buffer_bytes(b) == payload;
      gst_buffer_unref(b);
      if (it) break;
    }
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

TEST(SrcFollows, AnInterfaceDeletedAndMadeAgainIsJoinedAgainByName) {
  HotLink hot0("hot0", 62);
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.72.1 iface=hot0 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  EXPECT_LT(time_to_deliver(rx, "239.255.72.1", port, hot0.far(), hot0.peer(), "before"), 1000ms);
  const unsigned old_index = index_in("rx", "hot0");
  hot0.remove();
  std::vector<std::string> warnings;
  EXPECT_TRUE(wait_for_message(rx, GST_MESSAGE_WARNING, "Interface hot0 is gone", warnings)) << warnings.size();
  hot0.make();
  const auto recreated = std::chrono::steady_clock::now();
  EXPECT_NE(index_in("rx", "hot0"), old_index) << "the test meant a new index";
  // Reported as an element message (the info message says the same in words: see the tests below).
  bool message = false;
  const auto end = std::chrono::steady_clock::now() + 2s;
  while (!message && std::chrono::steady_clock::now() < end) {
    for (GstStructure* m : rx.element_messages("McastExpertInterface")) {
      if (std::string(gst_structure_get_string(m, "change")) == "recreated" &&
          std::string(gst_structure_get_string(m, "iface")) == "hot0")
        message = true;
      gst_structure_free(m);
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(message) << "no McastExpertInterface message saying hot0 was recreated";
  const auto delivered = time_to_deliver(rx, "239.255.72.1", port, hot0.far(), hot0.peer(), "after");
  EXPECT_LT(std::chrono::steady_clock::now() - recreated, 1500ms)
      << "datagrams flowed again only after " << delivered.count() << " ms of sending";
  EXPECT_LT(delivered, 1000ms);
}

TEST(SrcFollows, LinkDownWarnsAndBackUpInformsAndDelivers) {
  HotLink hot1("hot1", 63);
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.72.2 iface=hot1 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  EXPECT_LT(time_to_deliver(rx, "239.255.72.2", port, hot1.far(), hot1.peer(), "before"), 1000ms);
  std::vector<std::string> warnings, infos;
  run_in("rx", "ip link set hot1 down");
  EXPECT_TRUE(wait_for_message(rx, GST_MESSAGE_WARNING, "Interface hot1 is down", warnings));
  run_in("rx", "ip link set hot1 up");
  EXPECT_TRUE(wait_for_message(rx, GST_MESSAGE_INFO, "Interface hot1 is up", infos));
  EXPECT_LT(time_to_deliver(rx, "239.255.72.2", port, hot1.far(), hot1.peer(), "after"), 1000ms);
}

TEST(SrcFollows, TheDefaultJoinsAnInterfaceThatAppearsAndDropsOneThatGoes) {
  const auto port = next_port();
  Harness rx("rx", src("groups=239.255.72.3 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  HotLink hot2("hot2", 64);
  std::vector<std::string> infos;
  EXPECT_TRUE(wait_for_message(rx, GST_MESSAGE_INFO, "Interface hot2 is joined", infos));
  EXPECT_LT(time_to_deliver(rx, "239.255.72.3", port, hot2.far(), hot2.peer(), "by hot2"), 1000ms);
  auto legs_on = [&](const std::string& ifname) {
    GstStructure* stats = rx.stats();
    const GValue* legs = gst_structure_get_value(stats, "legs");
    guint index = 0;
    bool found = false;
    for (guint i = 0; i < gst_value_array_get_size(legs); ++i) {
      const GstStructure* leg = gst_value_get_structure(gst_value_array_get_value(legs, i));
      if (ifname == gst_structure_get_string(leg, "iface")) {
        found = true;
        gst_structure_get_uint(leg, "ifindex", &index);
      }
    }
    gst_structure_free(stats);
    return found ? static_cast<int>(index) : -1;
  };
  EXPECT_EQ(legs_on("hot2"), static_cast<int>(index_in("rx", "hot2"))) << "stats do not show the new leg";
  hot2.remove();
  EXPECT_TRUE(wait_for_message(rx, GST_MESSAGE_INFO, "Interface hot2 is dropped", infos));
  EXPECT_EQ(legs_on("hot2"), 0) << "a dropped leg reads index 0";
  // The others still deliver.
  send_from_txa("239.255.72.3", port, "still", 1);
  EXPECT_EQ(rx.drain(), tags("still", 1));
}

int main(int argc, char** argv) {
  return run_src_lab(argc, argv);
}
