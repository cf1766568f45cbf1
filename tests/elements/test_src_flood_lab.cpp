// SrcFlood: mcastexpertsrc in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B (with
// txb). Senders are plain sockets, so these tests prove the receiver alone.
#include "src_lab.hpp"

TEST(SrcFlood, ForeignTrafficAtFullRateIsNeverDeliveredAndTheElementStopsAtOnce) {
  // While a real SSM stream flows, four senders blast as fast as they can: unicast to the port, another group on
  // the port, the group from a source not listed, the group on the interface not named.
  SecondAddress unlisted;  // txa also has 10.77.1.12
  const auto port = next_port();
  Harness rx("rx", src("groups=232.1.9.9 sources=" + F("TXA_ETH0_IPV4") + " iface=eth0 port=" + std::to_string(port)));
  ASSERT_TRUE(rx.play()) << rx.error();
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> unicast_sent{0};
  std::vector<std::thread> floods;
  auto flood = [&](const std::string& host, const std::string& from, unsigned ifindex, const std::string& to,
                   const std::string& payload, std::atomic<uint64_t>* sent) {
    floods.emplace_back([=, &stop] {
      RawSender tx(host, from, ifindex);
      while (!stop.load()) {
        // Counted before the send (and taken back if it fails): the receiver may count a datagram before this
        // thread runs again, and a count read at any moment must not be below what has reached the element.
        if (sent != nullptr) ++*sent;
        try {
          tx.send(to, port, payload);
        } catch (const std::exception&) {
          if (sent != nullptr) --*sent;  // a full queue (ENOBUFS): the flood goes on
        }
      }
    });
  };
  flood("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"), F("RX_ETH0_IPV4"), "FOREIGN-unicast", &unicast_sent);
  flood("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"), "232.1.9.10", "FOREIGN-other-group", nullptr);
  flood("txa", "10.77.1.12", I("TXA_ETH0_INDEX"), "232.1.9.9", "FOREIGN-unlisted-source", nullptr);
  flood("txb", F("TXB_ETH0_IPV4"), I("TXB_ETH0_INDEX"), "232.1.9.9", "FOREIGN-other-interface", nullptr);
  // Oversize foreign datagrams take the element's large-datagram path; empty ones come from the listed source.
  flood("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"), F("RX_ETH0_IPV4"), "FOREIGN-oversize" + std::string(65000, 'x'),
        &unicast_sent);
  std::atomic<uint64_t> empty_sent{0};
  flood("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"), "232.1.9.9", "", &empty_sent);

  RawSender real("txa", F("TXA_ETH0_IPV4"), I("TXA_ETH0_INDEX"));
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    real.send("232.1.9.9", port, "real-" + std::to_string(i));
    if (i % 20 == 0) std::this_thread::sleep_for(1ms);
  }
  real.send("232.1.9.9", port, std::string(65507, 'R'));  // the largest datagram, from the listed source
  const auto got = rx.drain(500ms);
  size_t real_got = 0, largest = 0;
  for (const auto& payload : got) {
    EXPECT_EQ(payload.rfind("FOREIGN", 0), std::string::npos) << "delivered: " << payload.substr(0, 40);
    EXPECT_FALSE(payload.empty()) << "an empty datagram was delivered";
    if (payload.rfind("real-", 0) == 0) ++real_got;
    if (payload.size() == 65507) ++largest;
  }
  EXPECT_GT(real_got, 0u);
  // What the stream lost, it lost in the kernel's queue (counted), not in the element.
  const uint64_t kernel_drops = rx.stat("packets-dropped-kernel");
  EXPECT_GE(real_got + 1 + kernel_drops, static_cast<uint64_t>(n)) << real_got << " of " << n;
  if (kernel_drops == 0) {
    EXPECT_EQ(largest, 1u) << "the largest datagram, whole";
  }
  EXPECT_GT(rx.stat("rejected-unicast"), 0u) << unicast_sent.load() << " unicast sent";
  EXPECT_LE(rx.stat("rejected-unicast"), unicast_sent.load());
  EXPECT_GT(rx.stat("rejected-empty"), 0u) << empty_sent.load() << " empty sent";
  EXPECT_LE(rx.stat("rejected-empty"), empty_sent.load());
  std::printf(
      "flood: %zu of %d real datagrams delivered, %llu dropped in the kernel's queue, %llu unicast sent, %llu "
      "counted rejected-unicast, %llu empty sent, %llu counted rejected-empty, 0 foreign delivered\n",
      real_got, n, static_cast<unsigned long long>(kernel_drops), static_cast<unsigned long long>(unicast_sent.load()),
      static_cast<unsigned long long>(rx.stat("rejected-unicast")), static_cast<unsigned long long>(empty_sent.load()),
      static_cast<unsigned long long>(rx.stat("rejected-empty")));
  // Stopping under the flood: at once.
  const auto t0 = std::chrono::steady_clock::now();
  gst_element_set_state(rx.element(), GST_STATE_NULL);
  const auto took = std::chrono::steady_clock::now() - t0;
  stop = true;
  for (auto& t : floods) t.join();
  EXPECT_LT(took, 1s) << "NULL took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

int main(int argc, char** argv) {
  return run_src_lab(argc, argv);
}
