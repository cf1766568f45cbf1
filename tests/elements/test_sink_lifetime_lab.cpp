// SinkLifetime: mcastexpertsink in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B
// (with txb); rx's default route is eth0. Receivers are plain sockets (and mcastexpertsrc for the round trip).
#include "sink_lab.hpp"

TEST(SinkLifetime, ReadyPausedFlipsLeaveNothingBehind) {
  Pipeline p(
      "fakesrc num-buffers=1 sizetype=fixed sizemax=10 filltype=zero ! mcastexpertsink groups=239.255.33.2 "
      "iface=eth0,eth1 async=false port=" +
      std::to_string(next_port()));
  ASSERT_TRUE(p.set_state("rx", GST_STATE_READY));
  expect_cycles_leave_nothing_behind(p, "rx", lifetime_rounds(1000, 10000), GST_STATE_READY, GST_STATE_PAUSED, false);
  ASSERT_TRUE(p.set_state("rx", GST_STATE_NULL));
}

int main(int argc, char** argv) {
  return run_sink_lab(argc, argv);
}
