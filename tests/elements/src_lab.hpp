// mcastexpertsrc in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B (with txb).
// Senders are plain sockets, so these tests prove the receiver alone.
// Shared by every suite of these tests, one file per suite (test_src_*_lab.cpp), each its own meson test.
#pragma once

#include <gst/net/gstnetaddressmeta.h>
#include <net/if.h>

#include <set>

#include "element_test.hpp"

using namespace et;

// Sends `count` datagrams "tag-N" from txa (LAN A) to group:port.
inline void send_from_txa(const std::string& group, uint16_t port, const std::string& tag, int count = 3,
                          const std::string& source = "") {
  const bool v6 = is_v6(group);
  RawSender tx("txa", source.empty() ? F(v6 ? "TXA_ETH0_IPV6" : "TXA_ETH0_IPV4") : source, I("TXA_ETH0_INDEX"));
  for (int i = 0; i < count; ++i) tx.send(group, port, tag + "-" + std::to_string(i));
}

inline void send_from_txb(const std::string& group, uint16_t port, const std::string& tag, int count = 3) {
  const bool v6 = is_v6(group);
  RawSender tx("txb", F(v6 ? "TXB_ETH0_IPV6" : "TXB_ETH0_IPV4"), I("TXB_ETH0_INDEX"));
  for (int i = 0; i < count; ++i) tx.send(group, port, tag + "-" + std::to_string(i));
}

inline std::vector<std::string> tags(const std::string& tag, int count = 3) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(tag + "-" + std::to_string(i));
  return out;
}

// An RTP packet: version 2, payload type `pt`, sequence `seq`, SSRC 0x11223344, then `payload`.
inline std::string rtp_packet(int pt, uint16_t seq, const std::string& payload) {
  std::string p(12, '\0');
  p[0] = static_cast<char>(0x80);
  p[1] = static_cast<char>(pt);
  p[2] = static_cast<char>(seq >> 8);
  p[3] = static_cast<char>(seq & 0xff);
  p[4] = 0;
  p[5] = 0;
  p[6] = static_cast<char>(seq >> 8);
  p[7] = static_cast<char>(seq & 0xff);
  p[8] = 0x11;
  p[9] = 0x22;
  p[10] = 0x33;
  p[11] = 0x44;
  return p + payload;
}

inline std::string src(const std::string& props) {
  return "mcastexpertsrc " + props;
}

class SecondAddress {
 public:
  SecondAddress() {
    run_in("txa", "ip addr add 10.77.1.12/24 dev eth0 && ip -6 addr add fd77:1::12/64 dev eth0 nodad");
  }
  ~SecondAddress() {
    try {
      run_in("txa", "ip addr del 10.77.1.12/24 dev eth0; ip -6 addr del fd77:1::12/64 dev eth0");
    } catch (...) {
    }
  }
};

// Each suite's main(): GStreamer, and on rx the interfaces for the error cases: one down, one without the MULTICAST
// flag (veth, since a user namespace cannot load the dummy module).
inline int run_src_lab(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new et::GstEnvironment);
  lab::InHost in("rx");
  if (std::system("ip link add down0 type veth peer name down0p && ip link add nomc0 type veth peer name nomc0p && "
                  "ip link set nomc0 multicast off && ip link set nomc0 up") != 0)
    return 1;
  return RUN_ALL_TESTS();
}
