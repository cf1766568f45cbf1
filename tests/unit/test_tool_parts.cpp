// The tool's own pieces, without a network: probes and their tally, the packet-filter reading, JSON, the command
// line. (The tool as a whole runs in the lab: tests/tool/test_tool.py.)
#include <gtest/gtest.h>

#include "command_line.hpp"
#include "host_state.hpp"
#include "json_writer.hpp"
#include "probe.hpp"

using namespace mcastexpert::tool;

TEST(Probe, RoundTripsAndPadsToTheSizeAsked) {
  const std::string text = encode_probe(Probe{42, 1764685000123456789, "studio a.local"}, 200);
  EXPECT_EQ(text.size(), 200u);
  EXPECT_EQ(text.rfind("MCASTEXPERT-PROBE 1 seq=42 ", 0), 0u);
  const auto p = decode_probe(text);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->seq, 42u);
  EXPECT_EQ(p->sent_realtime_ns, 1764685000123456789);
  EXPECT_EQ(p->host, "studio_a_local");                      // spaces and dots would end the field
  EXPECT_GE(encode_probe(Probe{1, 2, "h"}, 0).size(), 30u);  // never shorter than its text
}

TEST(Probe, OtherDatagramsAreNotProbes) {
  EXPECT_FALSE(decode_probe("hello"));
  EXPECT_FALSE(decode_probe("MCASTEXPERT-PROBE 1 seq=x sent=1 host=h "));
  EXPECT_FALSE(decode_probe("MCASTEXPERT-PROBE 1 sent=1 host=h "));
  EXPECT_FALSE(decode_probe(std::string("\x80\x60\x00\x01", 4)));
}

TEST(ProbeTally, CountsLossDuplicatesAndReorderingPerSender) {
  ProbeTally t;
  for (const uint64_t seq : {1, 2, 2, 5, 4}) t.record("10.0.0.1:4000", seq);
  EXPECT_EQ(t.record("10.0.0.2:4000", 7), ProbeTally::Arrival::New);  // another sender starts where it starts
  EXPECT_EQ(t.record("10.0.0.2:4000", 7), ProbeTally::Arrival::Duplicate);
  EXPECT_EQ(t.record("10.0.0.2:4000", 6), ProbeTally::Arrival::Reordered);
  EXPECT_EQ(t.received(), 6u);
  EXPECT_EQ(t.lost(), 1u);  // 3 of the first sender
  EXPECT_EQ(t.duplicated(), 2u);
  EXPECT_EQ(t.reordered(), 2u);
  EXPECT_EQ(t.senders(), 2u);
}

TEST(Filter, NftDropOfThePortIsFound) {
  const FilterRules nft{"nft",
                        "table inet t {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n"
                        "\t\tudp dport { 53, 5000-5010 } drop\n\t}\n}\n"};
  const auto v = judge_filter(nft, 5004);
  EXPECT_TRUE(v.dropped);
  EXPECT_EQ(v.rule, "udp dport { 53, 5000-5010 } drop");
  EXPECT_FALSE(judge_filter(nft, 6000).dropped);
  EXPECT_FALSE(judge_filter(nft, 6000).policy_drops);
}

TEST(Filter, OutputChainsAndAcceptedPortsDoNotCount) {
  const FilterRules out{"nft",
                        "table inet t {\n\tchain out {\n\t\ttype filter hook output priority filter; policy accept;\n"
                        "\t\tudp dport 5004 drop\n\t}\n}\n"};
  EXPECT_FALSE(judge_filter(out, 5004).dropped);
  const FilterRules policy{"nft",
                           "table inet t {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n"
                           "\t\tudp dport 5004 accept\n\t}\n}\n"};
  EXPECT_FALSE(judge_filter(policy, 5004).policy_drops);
  EXPECT_TRUE(judge_filter(policy, 5005).policy_drops);
}

TEST(Filter, IptablesSaveIsReadToo) {
  const FilterRules ipt{"iptables-save",
                        "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -m udp --dport 5000:5005 -j DROP\n"
                        "-A OUTPUT -p udp -m udp --dport 6000 -j DROP\nCOMMIT\n"};
  EXPECT_TRUE(judge_filter(ipt, 5004).dropped);
  EXPECT_FALSE(judge_filter(ipt, 6000).dropped);
  const FilterRules closed{"iptables-save", "*filter\n:INPUT DROP [0:0]\nCOMMIT\n"};
  EXPECT_TRUE(judge_filter(closed, 5004).policy_drops);
}

TEST(JsonWriter, EscapesAndSeparates) {
  JsonWriter j;
  j.begin_object().field("a", "x\"y\\\n\x01").key("b").begin_array().value(1).value(true).null().end_array();
  j.field("c", 1.5).key("d").value_or_null(std::nullopt).end_object();
  EXPECT_EQ(j.str(), R"({"a":"x\"y\\\n\u0001","b":[1,true,null],"c":1.500,"d":null})");
}

namespace {
const CommandSpec kSpec{"try",
                        "X",
                        "s",
                        "d",
                        1,
                        1,
                        {{"iface", 0, "SPEC", "h"},
                         {"json", 0, nullptr, "h"},
                         {"ipv4", '4', nullptr, "h"},
                         {"count", 'c', "N", "h"},
                         {"interval", 0, "S", "h"}}};
ParsedArgs parse(std::vector<const char*> words) {
  return parse_args(kSpec, static_cast<int>(words.size()), const_cast<char**>(words.data()));
}
}  // namespace

TEST(CommandLine, TakesEverySpelling) {
  const auto a = parse({"239.1.2.3", "--iface=eth1", "-4", "-c", "5", "--json", "--interval", "200ms"});
  EXPECT_EQ(a.positionals(), std::vector<std::string>{"239.1.2.3"});
  EXPECT_EQ(a.get("iface"), "eth1");
  EXPECT_TRUE(a.has("ipv4") && a.has("json"));
  EXPECT_EQ(a.get_integer("count", 0, 1, 10), 5);
  EXPECT_DOUBLE_EQ(a.get_seconds("interval", 1), 0.2);
  EXPECT_TRUE(parse({"--help"}).help());
}

TEST(CommandLine, RefusesWhatItCannotUnderstandNamingIt) {
  auto message = [](std::vector<const char*> words) {
    try {
      parse(std::move(words));
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_NE(message({"g", "--bogus"}).find("--bogus"), std::string::npos);
  EXPECT_NE(message({"g", "--iface"}).find("needs a value"), std::string::npos);
  EXPECT_NE(message({}).find("missing argument"), std::string::npos);
  EXPECT_NE(message({"g", "h"}).find("unexpected argument \"h\""), std::string::npos);
  EXPECT_NE(message({"g", "--json=1"}).find("takes no value"), std::string::npos);
  EXPECT_THROW(parse({"g", "-c", "0"}).get_integer("count", 0, 1, 10), UsageError);
  EXPECT_THROW(parse({"g", "--interval", "fast"}).get_seconds("interval", 1), UsageError);
  EXPECT_THROW(parse({"g", "--interval", "-1"}).get_seconds("interval", 1), UsageError);
}
