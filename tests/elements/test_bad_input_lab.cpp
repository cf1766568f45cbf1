// Bad input, table-driven, for every way a user hands values to the elements: each URI key of both elements, each
// string property, and the sink's add / remove / get-stats signals — before start and while PLAYING. Each nonsense
// value must be refused with a message that names the key, property or signal, the value, and the fix; nothing may
// crash, hang or be taken silently; and the element must work once a good value is set. (Numbers out of a
// property's range are GLib's to refuse, before the element sees them; through a URI they are the element's.)
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "element_test.hpp"

using namespace et;
using namespace std::chrono_literals;

namespace {

const std::string kLong(10 * 1024, 'a');  // a 10 KB value

struct UriRow {
  const char* factory;
  std::string uri;
  std::string needle;  // what the error must say (besides "Fix:")
};

std::vector<UriRow> uri_rows() {
  std::vector<UriRow> rows;
  for (const char* f : {"mcastexpertsrc", "mcastexpertsink"}) {
    auto row = [&](std::string uri, std::string needle) { rows.push_back({f, std::move(uri), std::move(needle)}); };
    const std::string g = "mcast://239.1.1.1";
    row(g + "?port=abc", "port");
    row(g + "?port=70000", "port");
    row(g + "?port=", "port");
    row(g + "?loop=2", "loop");
    row(g + "?buffer-size=-5", "buffer-size");
    row(g + "?buffer-size=abc", "buffer-size");
    row(g + "?iface=eth0%00x", "%00");
    row(g + "?iface=%zz", "%-escape");
    row(g + "?iface", "key=value");
    row(g + "?localaddr=10.77.1.1", "iface");
    row(g + "?bogus=1", "bogus");
    row(g + "?port=5004&port=5006", "port");
    row("mcast://10.1.1.1", "not a multicast address");
    row("mcast://[ff15::1", "'['");
    row("mcast://239.1.1.1:99999", "port");
    row("mcast://239.1.1.1:0", "port");
    row("mcast://239.1.1.1,ff15::1", "is IPv6 but");
    row("mcast://   ", "no group");
    row("mcast://", "no group");
    row("mcast://" + kLong, "");
    row(g + "?iface=" + kLong + "%00", "%00");
    row(std::string("mcast://239.1.1.1\n?port=5004"), "control byte");
  }
  auto src = [&](std::string uri, std::string needle) {
    rows.push_back({"mcastexpertsrc", "mcast://239.1.1.1?" + std::move(uri), std::move(needle)});
  };
  src("mtu=abc", "mtu");
  src("mtu=0", "mtu");
  src("timeout=-1", "timeout");
  src("timeout=abc", "timeout");
  src("batch-size=0", "batch-size");
  src("batch-size=5000", "batch-size");
  src("skip-first-bytes=-1", "skip-first-bytes");
  src("reuse=maybe", "reuse");
  src("retrieve-sender-address=x", "retrieve-sender-address");
  src("redundancy=mirror", "redundancy");
  src("redundancy-window=0", "redundancy-window");
  src("rejoin-interval=99999", "rejoin-interval");
  src("preserve-packetization=2", "preserve-packetization");
  src("sources=10.0.0", "10.0.0");
  src("sources=239.1.1.9", "239.1.1.9");
  src("sources=ff15::9", "ff15::9");
  src("block-sources=abc", "abc");
  auto snk = [&](std::string uri, std::string needle) {
    rows.push_back({"mcastexpertsink", "mcast://239.1.1.1?" + std::move(uri), std::move(needle)});
  };
  snk("ttl=300", "ttl");
  snk("ttl=", "ttl");
  snk("ttl=abc", "ttl");
  snk("ttl=-1", "ttl");
  snk("qos-dscp=64", "qos-dscp");
  snk("bind-port=70000", "bind-port");
  snk("pacing=fast", "pacing");
  snk("max-rate=abc", "max-rate");
  snk("max-rate=-1", "max-rate");
  snk("pacing-burst=0", "pacing-burst");
  snk("pacing-burst=2000", "pacing-burst");
  snk("gso=x", "gso");
  snk("error-timeout=-1", "error-timeout");
  rows.push_back({"mcastexpertsink", "mcast://ff02::1%eth0", "%"});
  return rows;
}

std::string uri_of(GstElement* e) {
  gchar* u = gst_uri_handler_get_uri(GST_URI_HANDLER(e));
  std::string s = u != nullptr ? u : "";
  g_free(u);
  return s;
}

std::string short_text(const std::string& s) {
  return s.size() > 120 ? s.substr(0, 120) + "...(" + std::to_string(s.size()) + " bytes)" : s;
}

// The element, made with good settings, on a port of its own.
GstElement* make(const char* factory, const std::string& good_uri) {
  GstElement* e = gst_element_factory_make(factory, nullptr);
  EXPECT_NE(e, nullptr) << factory;
  gst_object_ref_sink(e);  // ours: each pipeline that borrows it takes and drops a reference of its own
  GError* err = nullptr;
  EXPECT_TRUE(gst_uri_handler_set_uri(GST_URI_HANDLER(e), good_uri.c_str(), &err)) << good_uri;
  g_clear_error(&err);
  return e;
}

// Starts `e` in a pipeline on rx (with a fakesrc / fakesink on its other side) and says whether it reached PLAYING;
// the error it posted otherwise.
bool starts(GstElement* e, std::string& error) {
  GstElement* pipeline = gst_pipeline_new(nullptr);
  GstPad* sink_pad = gst_element_get_static_pad(e, "sink");
  const bool is_src = sink_pad == nullptr;
  if (sink_pad != nullptr) gst_object_unref(sink_pad);
  GstElement* other = gst_element_factory_make(is_src ? "fakesink" : "fakesrc", nullptr);
  if (!is_src) {
    g_object_set(other, "num-buffers", 1, "sizemax", 10, nullptr);
    gst_util_set_object_arg(G_OBJECT(other), "sizetype", "fixed");
    gst_util_set_object_arg(G_OBJECT(other), "filltype", "zero");
  }
  gst_bin_add_many(GST_BIN(pipeline), e, other, nullptr);
  if (is_src)
    gst_element_link(e, other);
  else
    gst_element_link(other, e);
  bool ok;
  {
    lab::InHost in("rx");
    ok = gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
  }
  GstBus* bus = gst_element_get_bus(pipeline);
  error.clear();
  if (GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
    GError* err = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_error(m, &err, &debug);
    error = std::string(err->message) + " | " + (debug != nullptr ? debug : "");
    g_clear_error(&err);
    g_free(debug);
    gst_message_unref(m);
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_bin_remove(GST_BIN(pipeline), e);
  gst_object_unref(pipeline);
  return ok;
}

}  // namespace

TEST(BadInput, EveryUriKeyRefusesNonsenseNamingTheKeyTheValueAndTheFix) {
  const auto rows = uri_rows();
  ASSERT_GE(rows.size(), 70u);
  for (const auto& row : rows) {
    const std::string good = "mcast://239.255.60.1:" + std::to_string(next_port()) + "?iface=eth0";
    GstElement* e = make(row.factory, good);
    const std::string before = uri_of(e);
    GError* err = nullptr;
    const gboolean taken = gst_uri_handler_set_uri(GST_URI_HANDLER(e), row.uri.c_str(), &err);
    const std::string where = std::string(row.factory) + " " + short_text(row.uri);
    EXPECT_FALSE(taken) << where << " was taken";
    ASSERT_NE(err, nullptr) << where;
    const std::string message = err->message;
    g_clear_error(&err);
    EXPECT_NE(message.find("Fix:"), std::string::npos) << where << ": " << short_text(message);
    EXPECT_NE(message.find(row.needle), std::string::npos) << where << ": " << short_text(message);
    EXPECT_EQ(uri_of(e), before) << where << ": a refused URI changed the settings";
    std::string error;
    EXPECT_TRUE(starts(e, error)) << where << ": the old settings no longer start: " << error;
    gst_object_unref(e);
  }
}

struct PropertyRow {
  const char* factory;
  const char* property;
  std::string value;
  std::string needle;  // what the start error must say
};

// Starts an element (good settings, a port of its own) with `row`'s value set, and returns the error it posted,
// having checked that it failed and that it starts again once the good value is back.
std::string start_error_with(const PropertyRow& row, const std::string& where) {
  GstElement* e = make(row.factory, "mcast://239.255.61.1:" + std::to_string(next_port()) + "?iface=eth0");
  gchar* old_value = nullptr;
  g_object_get(e, row.property, &old_value, nullptr);
  g_object_set(e, row.property, row.value.c_str(), nullptr);
  std::string error;
  EXPECT_FALSE(starts(e, error)) << where << " started";
  g_object_set(e, row.property, old_value, nullptr);
  std::string again;
  EXPECT_TRUE(starts(e, again)) << where << ": the good value did not start again: " << again;
  g_free(old_value);
  gst_object_unref(e);
  return error;
}

TEST(BadInput, EveryStringPropertyRefusesNonsenseAndStartSaysWhy) {
  std::vector<PropertyRow> rows;
  for (const char* f : {"mcastexpertsrc", "mcastexpertsink"}) {
    for (const std::string& v :
         {std::string(""), std::string("   "), std::string("10.1.1.1"), std::string("239.1.1.1,ff15::1"),
          std::string("[ff15::1"), std::string("239.1.1.1:99999"), std::string("239.1.1.1,,239.1.1.2"),
          std::string("ff02::1%"), kLong, std::string("239.1.1.1\x01")})
      rows.push_back({f, "groups", v, "groups"});
    for (const std::string& v : {std::string("nope"), std::string("4294967298"), std::string("eth0,nope"),
                                 std::string(","), std::string("10.99.99.99"), std::string("fd77:99::1%eth0"), kLong})
      rows.push_back({f, "iface", v, "iface"});
  }
  rows.push_back({"mcastexpertsink", "groups", "ff15::1%eth0", "groups"});
  for (const std::string& v : {std::string("10.0.0"), std::string("239.1.1.9"), std::string("fd77:1::2"), kLong})
    rows.push_back({"mcastexpertsrc", "sources", v, "sources"});
  rows.push_back({"mcastexpertsrc", "block-sources", "not-an-address", "block-sources"});

  for (const auto& row : rows) {
    const std::string where = std::string(row.factory) + " " + row.property + "=\"" + short_text(row.value) + "\"";
    const std::string error = start_error_with(row, where);
    EXPECT_NE(error.find(row.needle), std::string::npos) << where << ": " << short_text(error);
    if (!row.value.empty() && row.value.find_first_not_of(' ') != std::string::npos && row.value.size() < 100) {
      // The value is quoted (a control byte escaped), so the user sees what was refused.
      const std::string printable = row.value.substr(0, row.value.find('\x01'));
      EXPECT_NE(error.find(printable), std::string::npos) << where << ": " << short_text(error);
    }
  }
}

TEST(BadInput, SourcesWithBlockSourcesIsRefusedAtStartNamingBoth) {
  GstElement* e = make("mcastexpertsrc", "mcast://232.1.1.1:" + std::to_string(next_port()) + "?iface=eth0");
  g_object_set(e, "sources", "10.77.1.2", "block-sources", "10.77.1.3", nullptr);
  std::string error;
  EXPECT_FALSE(starts(e, error));
  EXPECT_NE(error.find("sources"), std::string::npos) << error;
  EXPECT_NE(error.find("block-sources"), std::string::npos) << error;
  g_object_set(e, "block-sources", "", nullptr);
  EXPECT_TRUE(starts(e, error)) << error;
  gst_object_unref(e);
}

TEST(BadInput, SinkSignalsRefuseNonsenseBeforeAndWhilePlaying) {
  const auto port = next_port();
  RawReceiver rx("txa", "239.255.62.1", port, I("TXA_ETH0_INDEX"));
  struct Call {
    const char* signal;
    std::string group;
    int port;
  };
  std::vector<Call> calls;
  for (const char* s : {"add", "remove", "get-stats"}) {
    for (const std::string& g :
         {std::string(""), std::string("   "), std::string("garbage"), std::string("239.255.62.2:5004"),
          std::string("10.77.1.2"), std::string("ff15::62:2"), std::string("239.255.62.2,239.255.62.3"),
          std::string("ff02::1%"), kLong, std::string("[ff15::1")})
      calls.push_back({s, g, static_cast<int>(port)});
    for (const int p : {0, 70000, -1}) calls.push_back({s, std::string("239.255.62.2"), p});
  }
  auto call_all = [&](GstElement* e) {
    for (const auto& c : calls) {
      if (std::string(c.signal) == "get-stats") {
        GstStructure* stats = nullptr;
        g_signal_emit_by_name(e, c.signal, c.group.c_str(), c.port, &stats);
        EXPECT_EQ(stats, nullptr) << "get-stats (\"" << short_text(c.group) << "\", " << c.port << ") answered";
        if (stats != nullptr) gst_structure_free(stats);
      } else {
        g_signal_emit_by_name(e, c.signal, c.group.c_str(), c.port);
      }
    }
  };
  auto expect_refused = [&](const std::vector<std::string>& warnings, const char* when) {
    ASSERT_EQ(warnings.size(), calls.size()) << when;
    for (size_t i = 0; i < calls.size(); ++i) {
      const std::string head = "Signal '" + std::string(calls[i].signal) + "'";
      EXPECT_NE(warnings[i].find(head), std::string::npos) << when << ": " << short_text(warnings[i]);
      EXPECT_NE(warnings[i].find("Fix:"), std::string::npos) << when << ": " << short_text(warnings[i]);
    }
  };
  std::vector<std::string> before_start;
  Harness h("rx", "mcastexpertsink sync=false groups=239.255.62.1 iface=eth0 port=" + std::to_string(port),
            [&](GstElement* e) {
              call_all(e);
              GstBus* bus = gst_element_get_bus(e);
              before_start = messages_on(bus, GST_MESSAGE_WARNING);
              gst_object_unref(bus);
            });
  expect_refused(before_start, "before start");
  ASSERT_TRUE(h.play()) << h.error();
  h.start_stream();
  call_all(h.element());
  expect_refused(h.messages(GST_MESSAGE_WARNING), "while playing");
  ASSERT_EQ(h.push("still-sending"), GST_FLOW_OK);
  auto got = rx.receive(1000ms);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->payload, "still-sending");
  EXPECT_FALSE(rx.receive(300ms).has_value()) << "a refused destination was sent to";
}

TEST(BadInput, ListsRefuseDuplicatesNamingTheValueAndTheFix) {
  // The same group, source or interface twice (the same text, or two spellings of one interface) was not meant:
  // two networks are two interfaces. Refused by the setter or at start, naming the property and the value.
  const std::string eth0 = "eth0";
  const std::string by_index = std::to_string(I("RX_ETH0_INDEX"));
  const std::vector<PropertyRow> rows = {
      {"mcastexpertsrc", "groups", "239.255.63.1,239.255.63.1", "listed twice"},
      {"mcastexpertsink", "groups", "239.255.63.1,239.255.63.1", "listed twice"},
      {"mcastexpertsrc", "groups", "ff15::63:1, FF15:0::63:1", "the same group as 'ff15::63:1'"},
      {"mcastexpertsrc", "sources", "10.77.1.2, 10.77.1.2", "listed twice"},
      {"mcastexpertsrc", "block-sources", "10.77.1.3,10.77.1.3", "listed twice"},
      {"mcastexpertsrc", "iface", "eth0,eth0", "named twice"},
      {"mcastexpertsink", "iface", "eth0, eth0", "named twice"},
      {"mcastexpertsrc", "iface", eth0 + "," + by_index, "both name interface eth0"},
      {"mcastexpertsink", "iface", eth0 + "," + by_index, "both name interface eth0"},
      {"mcastexpertsrc", "iface", eth0 + "," + F("RX_ETH0_IPV4"), "both name interface eth0"},
      {"mcastexpertsink", "iface", F("RX_ETH0_IPV4") + ",eth0", "both name interface eth0"},
  };
  for (const auto& row : rows) {
    const std::string where = std::string(row.factory) + " " + row.property + "=\"" + row.value + "\"";
    const std::string error = start_error_with(row, where);
    EXPECT_NE(error.find(row.property), std::string::npos) << where << ": " << error;
    EXPECT_NE(error.find(row.needle), std::string::npos) << where << ": " << error;
    EXPECT_NE(error.find("Fix:"), std::string::npos) << where << ": " << error;
  }
  // The same rule for URIs.
  for (const char* f : {"mcastexpertsrc", "mcastexpertsink"}) {
    for (const std::string uri : {"mcast://239.255.63.1?iface=eth0,eth0", "mcast://239.255.63.1,239.255.63.1"}) {
      GstElement* e = make(f, "mcast://239.255.63.9:" + std::to_string(next_port()) + "?iface=eth0");
      GError* err = nullptr;
      EXPECT_FALSE(gst_uri_handler_set_uri(GST_URI_HANDLER(e), uri.c_str(), &err)) << f << " " << uri;
      const std::string message = err != nullptr ? err->message : "";
      EXPECT_NE(message.find("twice"), std::string::npos) << f << " " << uri << ": " << message;
      g_clear_error(&err);
      gst_object_unref(e);
    }
  }
}

TEST(BadInput, SinkAddRefusesADestinationItHasAlready) {
  const auto port = next_port();
  std::vector<std::string> warnings;
  Harness h("rx", "mcastexpertsink sync=false groups=239.255.64.1 iface=eth0 port=" + std::to_string(port),
            [&](GstElement* e) {
              g_signal_emit_by_name(e, "add", "239.255.64.1", static_cast<int>(port));  // listed in groups
              g_signal_emit_by_name(e, "add", "239.255.64.2", static_cast<int>(port));
              g_signal_emit_by_name(e, "add", "239.255.64.2", static_cast<int>(port));  // added before
              GstBus* bus = gst_element_get_bus(e);
              warnings = messages_on(bus, GST_MESSAGE_WARNING);
              gst_object_unref(bus);
            });
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("239.255.64.1:" + std::to_string(port) + " is listed in groups"), std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[1].find("239.255.64.2:" + std::to_string(port) + " was added before"), std::string::npos)
      << warnings[1];
  for (const auto& w : warnings) EXPECT_NE(w.find("Fix: add each destination once"), std::string::npos) << w;
  // The refused second add did not add a second copy: one remove takes it away, a second finds nothing.
  ASSERT_TRUE(h.play()) << h.error();
  g_signal_emit_by_name(h.element(), "remove", "239.255.64.2", static_cast<int>(port));
  g_signal_emit_by_name(h.element(), "remove", "239.255.64.2", static_cast<int>(port));
  const auto later = h.messages(GST_MESSAGE_WARNING);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_NE(later[0].find("is not a destination of this element"), std::string::npos) << later[0];
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new et::GstEnvironment);
  return RUN_ALL_TESTS();
}
