// SrcSdp: mcastexpertsrc receives what a stream description (SDP) describes, in the multihomed lab: SDPs as AES67
// and ST 2110 gear writes them (tests/fixtures/sdp), with the caps sdpdemux gives for them; a ST 2022-7 DUP pair
// merged, each leg pinned to its own interface; what FFmpeg writes for its own RTP output, decoded; the choice of
// media; a property set against the description; and bad SDPs, each error naming its line. (SAP: test_src_sap_lab.)
#include <cstdio>
#include <fstream>
#include <thread>

#include "src_lab.hpp"

namespace {

std::string fixture(const std::string& name) {
  const char* dir = std::getenv("MCASTEXPERT_FIXTURES");
  return std::string(dir != nullptr ? dir : "tests/fixtures") + "/sdp/" + name;
}

// Sends RTP packets seq from..to-1 from `host` (its eth0) to group:port, a few ms apart.
void send_rtp(const std::string& host, const std::string& group, uint16_t port, int pt, uint16_t from, uint16_t to) {
  const std::string up = host == "txa" ? "TXA_ETH0_" : "TXB_ETH0_";
  RawSender tx(host, F((up + (is_v6(group) ? "IPV6" : "IPV4")).c_str()), I((up + "INDEX").c_str()));
  for (uint16_t s = from; s < to; ++s) {
    tx.send(group, port, rtp_packet(pt, s, std::string(48, 'p')));
    std::this_thread::sleep_for(2ms);
  }
}

std::string caps_of(GstPad* pad) {
  GstCaps* caps = gst_pad_get_current_caps(pad);
  if (caps == nullptr) return "";
  gchar* text = gst_caps_to_string(caps);
  std::string out = text;
  g_free(text);
  gst_caps_unref(caps);
  return out;
}

// The caps sdpdemux's pad has for `sdp_path` once the stream it describes flows (sent by `send`), "" if none.
std::string sdpdemux_caps(const std::string& sdp_path, const std::function<void()>& send) {
  Pipeline p("filesrc location=" + sdp_path + " ! sdpdemux latency=0 ! fakesink name=out sync=false");
  if (!p.set_state("rx", GST_STATE_PLAYING)) return "";
  GstPad* pad = gst_element_get_static_pad(p.by_name("out"), "sink");
  // sdpdemux sets up its rtpbin once it has read the file: send until its pad has caps (5 s at most; a sanitized
  // build takes a while).
  std::string caps;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (caps.empty() && std::chrono::steady_clock::now() < deadline) {
    send();
    std::this_thread::sleep_for(50ms);
    caps = caps_of(pad);
  }
  gst_object_unref(pad);
  return caps;
}

// The a-<name> caps fields the session part of an SDP gives (its a= lines before the first m=).
std::set<std::string> session_attribute_fields(const std::string& sdp_path) {
  std::ifstream in(sdp_path);
  std::set<std::string> out;
  for (std::string line; std::getline(in, line) && line.rfind("m=", 0) != 0;)
    if (line.rfind("a=", 0) == 0) out.insert("a-" + line.substr(2, line.find_first_of(":\r") - 2));
  return out;
}

// Every field of `ours` is in `theirs` with the same value, and every field of `theirs` is in ours, but those the
// RTP session manager adds to what the SDP said (ssrc, and its clock and sequence bases). Ours may also carry the
// session-level attributes (`session_fields`): newer sdpdemux adds them, 1.22's does not, and an RFC 7273 clock
// given at session level must reach rtpjitterbuffer.
void expect_same_caps(const std::string& ours, const std::string& theirs, const std::set<std::string>& session_fields) {
  GstCaps* a = gst_caps_from_string(ours.c_str());
  GstCaps* b = gst_caps_from_string(theirs.c_str());
  ASSERT_NE(a, nullptr) << ours;
  ASSERT_NE(b, nullptr) << theirs;
  const GstStructure* sa = gst_caps_get_structure(a, 0);
  const GstStructure* sb = gst_caps_get_structure(b, 0);
  EXPECT_STREQ(gst_structure_get_name(sa), gst_structure_get_name(sb));
  for (int i = 0; i < gst_structure_n_fields(sa); ++i) {
    const char* f = gst_structure_nth_field_name(sa, i);
    const GValue* vb = gst_structure_get_value(sb, f);
    if (vb == nullptr && session_fields.count(f) != 0) continue;
    EXPECT_TRUE(vb != nullptr && gst_value_compare(gst_structure_get_value(sa, f), vb) == GST_VALUE_EQUAL)
        << "field " << f << "\n ours:     " << ours << "\n sdpdemux: " << theirs;
  }
  for (int i = 0; i < gst_structure_n_fields(sb); ++i) {
    const std::string f = gst_structure_nth_field_name(sb, i);
    if (f == "ssrc" || f == "clock-base" || f == "seqnum-base" || f == "npt-start" || f == "play-speed" ||
        f == "play-scale" || f == "onvif-mode")
      continue;
    EXPECT_TRUE(gst_structure_has_field(sa, f.c_str())) << "sdpdemux has " << f << ", we do not: " << theirs;
  }
  gst_caps_unref(a);
  gst_caps_unref(b);
}

struct FixtureCase {
  const char* file;
  const char* group;
  uint16_t port;
  int pt;
};

}  // namespace

TEST(SrcSdp, DevicesSdpsAreReceivedWithTheCapsSdpdemuxGives) {
  const FixtureCase cases[] = {
      {"aes67-dante.sdp", "239.69.83.171", 5004, 97},
      {"st2110-20-video.sdp", "239.100.9.10", 50000, 96},
      {"st2110-30-audio.sdp", "239.69.1.1", 5004, 100},
      {"ffmpeg-h264.sdp", "239.77.0.5", 5004, 96},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    Harness rx("rx", src("iface=eth0 sdp-file=" + fixture(c.file)));
    ASSERT_TRUE(rx.play()) << rx.error();
    send_rtp("txa", c.group, c.port, c.pt, 1, 4);
    GstBuffer* b = rx.pull();
    ASSERT_NE(b, nullptr) << "nothing received";
    EXPECT_EQ(buffer_bytes(b), rtp_packet(c.pt, 1, std::string(48, 'p')));
    gst_buffer_unref(b);
    const std::string ours = caps_of(rx.get()->sinkpad);
    ASSERT_FALSE(ours.empty());
    uint16_t seq = 10;
    const std::string theirs = sdpdemux_caps(fixture(c.file), [&] {
      send_rtp("txa", c.group, c.port, c.pt, seq, static_cast<uint16_t>(seq + 5));
      seq = static_cast<uint16_t>(seq + 5);
    });
    ASSERT_FALSE(theirs.empty()) << "sdpdemux gave no stream";
    expect_same_caps(ours, theirs, session_attribute_fields(fixture(c.file)));
  }
}

TEST(SrcSdp, ASourceFilterInTheSdpKeepsOtherSendersOut) {
  // st2110-20-video.sdp admits 10.77.1.2 (txa) only; the same group from txa's second address is dropped.
  Harness rx("rx", src("iface=eth0 sdp-file=" + fixture("st2110-20-video.sdp")));
  ASSERT_TRUE(rx.play()) << rx.error();
  SecondAddress second;
  {
    RawSender other("txa", "10.77.1.12", I("TXA_ETH0_INDEX"));
    for (uint16_t s = 0; s < 3; ++s) other.send("239.100.9.10", 50000, rtp_packet(96, s, "stranger"));
  }
  send_rtp("txa", "239.100.9.10", 50000, 96, 100, 101);
  GstBuffer* b = rx.pull();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(buffer_bytes(b), rtp_packet(96, 100, std::string(48, 'p'))) << "a sender the SDP does not list got in";
  gst_buffer_unref(b);
}

TEST(SrcSdp, ADupPairIsMergedWithEachLegPinnedToItsInterface) {
  // primary 239.100.10.1:50020 from txa (LAN A, rx eth0), secondary 239.101.10.1:50022 from txb (LAN B, rx eth1).
  Harness rx("rx", src("iface=eth0,eth1 sdp-file=" + fixture("st2022-7-dup.sdp")));
  ASSERT_TRUE(rx.play()) << rx.error();
  send_rtp("txa", "239.100.10.1", 50020, 96, 1, 6);
  send_rtp("txb", "239.101.10.1", 50022, 96, 1, 6);  // the same packets by the other network
  send_rtp("txb", "239.101.10.1", 50022, 96, 6, 8);  // and two only it carries
  const auto got = rx.drain();
  ASSERT_EQ(got.size(), 7u) << "each packet once";
  for (uint16_t s = 1; s < 8; ++s) EXPECT_EQ(got[s - 1u], rtp_packet(96, s, std::string(48, 'p')));
  GstStructure* stats = rx.stats();
  guint64 duplicates = 0;
  gst_structure_get_uint64(stats, "duplicates-dropped", &duplicates);
  EXPECT_EQ(duplicates, 5u);
  const GValue* legs = gst_structure_get_value(stats, "legs");
  ASSERT_EQ(gst_value_array_get_size(legs), 2u) << "one join per leg, on its own interface";
  EXPECT_STREQ(gst_structure_get_string(gst_value_get_structure(gst_value_array_get_value(legs, 0)), "iface"), "eth0");
  EXPECT_STREQ(gst_structure_get_string(gst_value_get_structure(gst_value_array_get_value(legs, 1)), "iface"), "eth1");
  gst_structure_free(stats);
  // The secondary group on eth0 is not joined: its datagrams there are not delivered.
  send_rtp("txa", "239.101.10.1", 50022, 96, 50, 52);
  EXPECT_TRUE(rx.drain().empty());
}

TEST(SrcSdp, MediaChoosesWhichStreamOfSeveral) {
  const std::string sdp =
      "v=0\r\no=- 1 1 IN IP4 10.77.1.2\r\ns=two\r\nt=0 0\r\n"
      "m=audio 5004 RTP/AVP 97\r\nc=IN IP4 239.55.0.1/1\r\na=rtpmap:97 L24/48000/2\r\na=mid:sound\r\n"
      "m=video 5006 RTP/AVP 96\r\nc=IN IP4 239.55.0.2/1\r\na=rtpmap:96 H264/90000\r\na=mid:picture\r\n";
  for (const char* media : {"video", "picture", "1"}) {
    Harness rx("rx", "mcastexpertsrc iface=eth0",
               [&](GstElement* e) { g_object_set(e, "sdp", sdp.c_str(), "media", media, nullptr); });
    ASSERT_TRUE(rx.play()) << rx.error();
    send_rtp("txa", "239.55.0.1", 5004, 97, 1, 3);  // the audio: not chosen
    send_rtp("txa", "239.55.0.2", 5006, 96, 7, 8);
    const auto got = rx.drain();
    ASSERT_EQ(got.size(), 1u) << media;
    EXPECT_EQ(got[0], rtp_packet(96, 7, std::string(48, 'p')));
    EXPECT_NE(caps_of(rx.get()->sinkpad).find("H264"), std::string::npos);
  }
}

TEST(SrcSdp, APropertySetAgainstTheDescriptionIsRefusedNamingBoth) {
  const std::string path = fixture("aes67-dante.sdp");
  struct Case {
    std::string props, want;
  } cases[] = {
      {"groups=239.9.9.9", "sdp-file sets groups to '239.69.83.171', but groups is '239.9.9.9'"},
      {"port=6000", "sdp-file sets port to '5004', but port is '6000'"},
      {"sources=10.77.1.9", "sdp-file sets sources to '', but sources is '10.77.1.9'"},
      {"caps=application/x-rtp,media=video", "sdp-file sets caps to"},
      {"sdp=v=0", "sdp and sdp-file are both set"},
      {"media=subtitles", "has no media description 'subtitles'"},
      {"iface=eth0,eth0", "named twice"},
  };
  for (const auto& c : cases) {
    Pipeline p("mcastexpertsrc iface=eth0 sdp-file=" + path + " " + c.props + " ! fakesink");
    EXPECT_FALSE(p.set_state("rx", GST_STATE_PLAYING)) << c.props;
    const std::string text = p.error_text();
    EXPECT_NE(text.find(c.want), std::string::npos) << c.props << ": " << text;
    EXPECT_NE(text.find("Fix:"), std::string::npos) << text;
  }
  // The same value as the description's is no conflict.
  Harness rx("rx", src("iface=eth0 groups=239.69.83.171 port=5004 sdp-file=" + path));
  EXPECT_TRUE(rx.play()) << rx.error();
}

TEST(SrcSdp, ABadSdpIsAnErrorNamingItsLineAndTheFix) {
  const std::string head = "v=0\r\no=- 1 1 IN IP4 10.77.1.2\r\ns=bad\r\nt=0 0\r\n";
  struct Case {
    std::string sdp, want;
  } cases[] = {
      {head + "m=audio 5004 RTP/AVP 97\r\nc=IN IP4 10.77.1.99\r\na=rtpmap:97 L24/48000/2\r\n",
       "line 6 ('c=IN IP4 10.77.1.99') gives 10.77.1.99, which is not a multicast group"},
      {head + "m=audio 5004 RTP/AVP 97\r\na=rtpmap:97 L24/48000/2\r\n", "has no connection line"},
      {"<html>not an sdp</html>", "line 1 ('<html>not an sdp</html>') is not an SDP line"},
      {std::string(1024 * 1024, 'v'), "more than an SDP holds"},
  };
  for (const auto& c : cases) {
    Harness rx("rx", "mcastexpertsrc iface=eth0",
               [&](GstElement* e) { g_object_set(e, "sdp", c.sdp.c_str(), nullptr); });
    EXPECT_FALSE(rx.play());
    const std::string text = rx.error();
    EXPECT_NE(text.find("Property 'sdp'"), std::string::npos) << text.substr(0, 300);
    EXPECT_NE(text.find(c.want), std::string::npos) << text.substr(0, 300);
    EXPECT_NE(text.find("Fix:"), std::string::npos) << text.substr(0, 300);
  }
  Pipeline missing("mcastexpertsrc sdp-file=/nonexistent/stream.sdp ! fakesink");
  EXPECT_FALSE(missing.set_state("rx", GST_STATE_PLAYING));
  const std::string text = missing.error_text();
  EXPECT_NE(text.find("Property 'sdp-file'"), std::string::npos) << text;
  EXPECT_NE(text.find("cannot be read"), std::string::npos) << text;
}

TEST(SrcSdp, AnSdpFileChangedBetweenStartsIsReadAgain) {
  const std::string path = "/tmp/mcastexpert-src-sdp-" + std::to_string(getpid()) + ".sdp";
  auto write = [&](const std::string& group) {
    std::ofstream(path) << "v=0\r\no=- 1 1 IN IP4 10.77.1.2\r\ns=s\r\nc=IN IP4 " << group
                        << "/1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 97\r\na=rtpmap:97 L24/48000/2\r\n";
  };
  write("239.56.0.1");
  Harness rx("rx", src("iface=eth0 sdp-file=" + path));
  ASSERT_TRUE(rx.play()) << rx.error();
  send_rtp("txa", "239.56.0.1", 5004, 97, 1, 2);
  EXPECT_EQ(rx.drain().size(), 1u);
  gst_element_set_state(rx.element(), GST_STATE_READY);
  write("239.56.0.2");
  ASSERT_TRUE(rx.play()) << rx.error();
  send_rtp("txa", "239.56.0.1", 5004, 97, 2, 3);  // the old group: left
  send_rtp("txa", "239.56.0.2", 5004, 97, 3, 4);
  const auto got = rx.drain();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], rtp_packet(97, 3, std::string(48, 'p')));
  std::remove(path.c_str());
}

TEST(SrcSdp, WhatFfmpegWritesForItsRtpOutputIsReceivedAndDecoded) {
  if (std::system("command -v ffmpeg >/dev/null") != 0)
    GTEST_FAIL() << "ffmpeg is not installed (scripts/test installs it)";
  const std::string path = "/tmp/mcastexpert-ffmpeg-" + std::to_string(getpid()) + ".sdp";
  std::remove(path.c_str());
  // FFmpeg sends H.264 over RTP from txa for 6 s and writes the SDP of what it sends.
  std::thread ffmpeg([&] {
    run_in("txa",
           "ffmpeg -hide_banner -loglevel error -re -f lavfi -i testsrc=size=160x120:rate=25 -t 6 -c:v libx264 "
           "-g 5 -tune zerolatency -f rtp 'rtp://239.77.0.6:5010?ttl=1' -sdp_file " +
               path + " >/dev/null 2>&1");
  });
  for (int i = 0; i < 100 && access(path.c_str(), R_OK) != 0; ++i) std::this_thread::sleep_for(50ms);
  std::this_thread::sleep_for(200ms);  // written whole
  Pipeline p("mcastexpertsrc iface=eth0 sdp-file=" + path +
             " ! rtpjitterbuffer latency=100 ! rtph264depay ! avdec_h264 ! fakesink name=out signal-handoffs=true");
  std::atomic<int> frames{0};
  g_signal_connect(
      p.by_name("out"), "handoff",
      G_CALLBACK(+[](GstElement*, GstBuffer*, GstPad*, gpointer n) { ++*static_cast<std::atomic<int>*>(n); }), &frames);
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  for (int i = 0; i < 80 && frames < 10; ++i) std::this_thread::sleep_for(50ms);
  p.set_state("rx", GST_STATE_NULL);
  ffmpeg.join();
  std::remove(path.c_str());
  EXPECT_GE(frames.load(), 10) << "decoded frames";
}

int main(int argc, char** argv) {
  return run_src_lab(argc, argv);
}
