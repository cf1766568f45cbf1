// Both elements behind an IGMP/MLD-snooping bridge (the lab's switch topology: bridge br0 on host sw with ports
// p1..p3 to hosts h1..h3): joins are reported on the right port only, a host that did not join gets nothing, and
// the sender never reports membership.
#include "element_test.hpp"

using namespace et;

namespace {

std::string mdb() {
  return run_output("ip netns exec sw bridge mdb show");
}

uint64_t rx_packets(const std::string& host) {
  return std::stoull(run_output("ip netns exec " + host + " cat /sys/class/net/eth0/statistics/rx_packets"));
}

bool mdb_has(const std::string& port, const std::string& group) {
  return mdb().find("port " + port + " grp " + group) != std::string::npos;
}

}  // namespace

TEST(Switch, ReceiverJoinIsSeenOnItsPortOnlyAndOthersGetNothing) {
  for (const std::string group : {"239.255.40.1", "ff15::40:1"}) {
    Harness rx("h2", "mcastexpertsrc groups=" + group + " iface=eth0 port=9000");
    ASSERT_TRUE(rx.play()) << rx.error();
    // The join's report reaches the bridge at once (an unsolicited report).
    for (int i = 0; i < 50 && !mdb_has("p2", group); ++i) std::this_thread::sleep_for(20ms);
    EXPECT_TRUE(mdb_has("p2", group)) << mdb();
    EXPECT_FALSE(mdb_has("p3", group)) << mdb();
    EXPECT_FALSE(mdb_has("p1", group)) << mdb();

    Harness tx("h1", "mcastexpertsink sync=false groups=" + group + " iface=eth0 port=9000");
    ASSERT_TRUE(tx.play()) << tx.error();
    tx.start_stream();
    const uint64_t h3_before = rx_packets("h3");
    for (int i = 0; i < 100; ++i) ASSERT_EQ(tx.push("frame-" + std::to_string(i)), GST_FLOW_OK);
    const auto got = rx.drain();
    const uint64_t h3_after = rx_packets("h3");
    EXPECT_EQ(got.size(), 100u) << group;
    // h3 may see a query or a report in that time; never the stream.
    EXPECT_LT(h3_after - h3_before, 10u) << group << ": h3 did not join, yet received " << h3_after - h3_before;
    // The sender joined nothing.
    EXPECT_FALSE(mdb_has("p1", group)) << mdb();
  }
}

TEST(Switch, SourceSpecificJoinIsReportedAsSuch) {
  Harness rx("h3", "mcastexpertsrc groups=232.1.2.3 sources=" + lab::fact("H1_ETH0_IPV4") + " iface=eth0 port=9001");
  ASSERT_TRUE(rx.play()) << rx.error();
  for (int i = 0; i < 50 && !mdb_has("p3", "232.1.2.3"); ++i) std::this_thread::sleep_for(20ms);
  const std::string table = mdb();
  EXPECT_TRUE(mdb_has("p3", "232.1.2.3")) << table;
  // IGMPv3 snooping records the source too.
  EXPECT_NE(table.find("src " + lab::fact("H1_ETH0_IPV4")), std::string::npos) << table;
  Harness tx("h1", "mcastexpertsink sync=false groups=232.1.2.3 iface=eth0 port=9001");
  ASSERT_TRUE(tx.play()) << tx.error();
  tx.start_stream();
  tx.push("ssm");
  EXPECT_EQ(rx.drain(), std::vector<std::string>{"ssm"});
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new et::GstEnvironment);
  return RUN_ALL_TESTS();
}
