// mcastexpertsink in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B (with txb);
// rx's default route is eth0. Receivers are plain sockets (and mcastexpertsrc for the round trip).
// Shared by every suite of these tests, one file per suite (test_sink_*_lab.cpp), each its own meson test.
#pragma once

#include <atomic>
#include <cstdlib>

#include "element_test.hpp"

using namespace et;

inline std::string sink(const std::string& props) {
  return "mcastexpertsink sync=false " + props;
}

// A started sink on `host`.
inline std::unique_ptr<Harness> start_sink(const std::string& host, const std::string& props) {
  auto h = std::make_unique<Harness>(host, sink(props));
  if (!h->play()) throw std::runtime_error("sink did not start: " + h->error());
  h->start_stream();
  return h;
}

inline std::vector<std::string> payloads(RawReceiver& r, std::chrono::milliseconds quiet = 300ms) {
  std::vector<std::string> out;
  while (auto got = r.receive(quiet)) out.push_back(got->payload);
  return out;
}

inline void add_destination(GstElement* e, const char* host, int port) {
  g_signal_emit_by_name(e, "add", host, port);
}

// Each suite's main(): GStreamer, and on rx for the error cases a down interface, one without MULTICAST, one with no
// address, and an address on two interfaces.
inline int run_sink_lab(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new et::GstEnvironment);
  lab::InHost in("rx");
  if (std::system("ip link add down0 type veth peer name down0p && ip link add nomc0 type veth peer name nomc0p && "
                  "ip link set nomc0 multicast off && ip link set nomc0 up && "
                  "ip link add noaddr0 type veth peer name noaddr0p && ip link set noaddr0 up && "
                  "ip -6 addr flush dev noaddr0 && "
                  "ip addr add 10.77.9.9/32 dev eth0 && ip addr add 10.77.9.9/32 dev eth1") != 0)
    return 1;
  return RUN_ALL_TESTS();
}
