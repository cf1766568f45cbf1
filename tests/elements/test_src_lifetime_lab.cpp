// SrcLifetime: mcastexpertsrc in the lab's multihomed topology: rx has eth0 on LAN A (with txa) and eth1 on LAN B (with
// txb). Senders are plain sockets, so these tests prove the receiver alone.
#include "src_lab.hpp"

TEST(SrcLifetime, ReadyPausedFlipsLeaveNothingBehind) {
  // 1,000 flips (10,000 with --long) of a source with SSM joins on two interfaces.
  const std::string props =
      "groups=232.1.13.1 sources=10.77.1.2,10.77.2.2 iface=eth0,eth1 port=" + std::to_string(next_port());
  Pipeline p("mcastexpertsrc " + props + " ! fakesink");
  const std::string at_start = memberships_of("rx");
  ASSERT_TRUE(p.set_state("rx", GST_STATE_READY));
  EXPECT_NE(memberships_of("rx"), at_start) << "joined in READY";
  expect_cycles_leave_nothing_behind(p, "rx", lifetime_rounds(1000, 10000), GST_STATE_READY, GST_STATE_PAUSED, false);
  ASSERT_TRUE(p.set_state("rx", GST_STATE_NULL));
  EXPECT_EQ(memberships_of("rx"), at_start) << "left at NULL";
}

TEST(SrcLifetime, SinkToSrcPipelineCyclesLeaveNothingBehind) {
  // A sender and a receiver in one pipeline on one host (loop on), cycled with data flowing.
  const std::string where = "groups=239.255.13.9 iface=eth0 loop=true port=" + std::to_string(next_port());
  Pipeline p("audiotestsrc is-live=true samplesperbuffer=441 ! rtpL16pay ! mcastexpertsink " + where +
             " mcastexpertsrc " + where + " ! fakesink");
  expect_state_cycles_leak_no_descriptors(p, "rx", true);
}

int main(int argc, char** argv) {
  return run_src_lab(argc, argv);
}
