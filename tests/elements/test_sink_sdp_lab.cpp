// SinkSdp: mcastexpertsink describes what it sends, in the multihomed lab (the sink on rx sends by eth0 to LAN A,
// where txa receives): the SDP's lines and their order, measured packet time, updates with a higher version and the
// same session, the file written whole, a DUP pair, IPv6, a stream that is not RTP — and the description played by
// software nobody here wrote: FFmpeg and GStreamer's sdpdemux decode audio (L24), raw video and H.264 from it.
#include <arpa/inet.h>
#include <gst/net/gstptpclock.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "sink_lab.hpp"

namespace {

std::string sdp_of(GstElement* sink) {
  gchar* text = nullptr;
  g_object_get(sink, "sdp", &text, nullptr);
  std::string out = text != nullptr ? text : "";
  g_free(text);
  return out;
}

std::vector<std::string> lines_of(const std::string& sdp) {
  std::vector<std::string> out;
  std::stringstream in(sdp);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    if (!l.empty()) out.push_back(l);
  }
  return out;
}

// The sdp once it is there and holds `needle` (the packet time is measured from the first packets), "" otherwise.
std::string wait_for_sdp(GstElement* sink, const std::string& needle = "", std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string sdp = sdp_of(sink);
    if (!sdp.empty() && sdp.find(needle) != std::string::npos) return sdp;
    std::this_thread::sleep_for(20ms);
  }
  return "";
}

std::string temp_path(const std::string& name) {
  return "/tmp/mcastexpert-" + std::to_string(getpid()) + "-" + name;
}

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The file's text once it is `want` (the sink writes it right after it changed the property), or what it is then.
std::string file_once(const std::string& path, const std::string& want) {
  std::string text;
  for (int i = 0; i < 100 && (text = file_text(path)) != want; ++i) std::this_thread::sleep_for(20ms);
  return text;
}

// "o=- <id> <version> ..." → (id, version). (No std::regex: GCC 12 warns inside it when built with the sanitizers.)
std::pair<std::string, uint64_t> origin_of(const std::string& sdp) {
  const size_t at = sdp.find("o=- ");
  if (at == std::string::npos) return {"", 0};
  std::istringstream words(sdp.substr(at + 4));
  std::string id;
  uint64_t version = 0;
  if (!(words >> id >> version)) return {"", 0};
  return {id, version};
}

const std::string kAes67Audio =
    "audiotestsrc is-live=true ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! "
    "rtpL24pay min-ptime=1000000 max-ptime=1000000 pt=98 ! ";

int count_notifies(GstElement* sink, std::atomic<int>& count) {
  return static_cast<int>(g_signal_connect(
      sink, "notify::sdp", G_CALLBACK(+[](GObject*, GParamSpec*, gpointer c) { ++*static_cast<std::atomic<int>*>(c); }),
      &count));
}

// "7A-A7-BA-FF-FE-E1-BD-6E", as ts-refclk writes a clock identity.
std::string eui64(uint64_t id) {
  char text[24];
  std::snprintf(text, sizeof text, "%02X-%02X-%02X-%02X-%02X-%02X-%02X-%02X", unsigned(id >> 56 & 0xff),
                unsigned(id >> 48 & 0xff), unsigned(id >> 40 & 0xff), unsigned(id >> 32 & 0xff),
                unsigned(id >> 24 & 0xff), unsigned(id >> 16 & 0xff), unsigned(id >> 8 & 0xff), unsigned(id & 0xff));
  return text;
}

// ptp4l (linuxptp) as the lab's PTP grandmaster on `host` eth0, with software timestamps; stopped when it goes.
class PtpGrandmaster {
 public:
  explicit PtpGrandmaster(const std::string& host) : host_(host), pidfile_(temp_path("ptp4l.pid")) {
    run_in(host, "ptp4l -i eth0 -S -q >/dev/null 2>&1 & echo $! > " + pidfile_);
  }
  ~PtpGrandmaster() {
    try {
      run_in(host_, "kill $(cat " + pidfile_ + ") 2>/dev/null; rm -f " + pidfile_);
    } catch (...) {
    }
  }
  // Its clock identity, the EUI-64 made of eth0's MAC (what ptp4l announces).
  uint64_t clock_identity() const {
    lab::InHost in(host_);
    const std::string out = run_output("ip -o link show eth0");
    unsigned m[6] = {};
    const auto at = out.find("link/ether ") + 11;
    if (std::sscanf(out.c_str() + at, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) return 0;
    return (uint64_t{m[0]} << 56) | (uint64_t{m[1]} << 48) | (uint64_t{m[2]} << 40) | (uint64_t{0xff} << 32) |
           (uint64_t{0xfe} << 24) | (uint64_t{m[3]} << 16) | (uint64_t{m[4]} << 8) | m[5];
  }

 private:
  std::string host_;
  std::string pidfile_;
};

}  // namespace

TEST(SinkSdp, DescribesAnAes67StreamLineByLineInTheOrderDevicesAccept) {
  Pipeline p(kAes67Audio + "mcastexpertsink name=sink sync=true groups=239.66.0.1:5004 iface=eth0 ttl=4");
  GstElement* sink = p.by_name("sink");
  EXPECT_EQ(sdp_of(sink), "") << "no SDP before caps";
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  const std::string sdp = wait_for_sdp(sink, "a=ptime");
  ASSERT_FALSE(sdp.empty()) << sdp_of(sink);
  const auto lines = lines_of(sdp);
  const std::string source = F("RX_ETH0_IPV4");
  const std::vector<std::string> want_prefix = {
      "v=0",
      "o=- ",
      "s=",
      "c=IN IP4 239.66.0.1/4",
      "t=0 0",
      "m=audio 5004 RTP/AVP 98",
      "a=recvonly",
      "a=rtpmap:98 L24/48000/2",
      "a=source-filter: incl IN IP4 239.66.0.1 " + source,
      "a=ptime:1",
      "a=framecount:48",
  };
  ASSERT_GE(lines.size(), want_prefix.size()) << sdp;
  for (size_t i = 0; i < want_prefix.size(); ++i)
    EXPECT_EQ(lines[i].rfind(want_prefix[i], 0), 0u)
        << "line " << i + 1 << " is '" << lines[i] << "', wanted '" << want_prefix[i] << "...'\n"
        << sdp;
  EXPECT_NE(sdp.find(" IN IP4 " + source + "\r\n"), std::string::npos) << "o= names the leaving address: " << sdp;
  EXPECT_EQ(sdp.find("ts-refclk"), std::string::npos) << "no PTP clock, no claim of one: " << sdp;
  // The default session name: the host and the destination.
  EXPECT_NE(sdp.find("s=" + std::string(g_get_host_name()) + " 239.66.0.1:5004\r\n"), std::string::npos) << sdp;
  EXPECT_EQ(sdp.find("\n\n"), std::string::npos);
}

TEST(SinkSdp, AChangeRaisesTheVersionKeepsTheSessionAndIsNotified) {
  const std::string path = temp_path("update.sdp");
  Pipeline p(kAes67Audio + "mcastexpertsink name=sink sync=true groups=239.66.0.2 iface=eth0 sdp-file=" + path);
  GstElement* sink = p.by_name("sink");
  std::atomic<int> notified{0};
  count_notifies(sink, notified);
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  const std::string first = wait_for_sdp(sink, "a=ptime");
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(file_once(path, first), first) << "the file holds what the property says";
  const auto [id, version] = origin_of(first);
  const int notified_before = notified;
  EXPECT_GE(notified_before, 1);
  g_object_set(sink, "session-name", "Stage left", nullptr);
  const std::string renamed = wait_for_sdp(sink, "s=Stage left");
  ASSERT_FALSE(renamed.empty());
  EXPECT_EQ(origin_of(renamed).first, id) << "the same session";
  EXPECT_EQ(origin_of(renamed).second, version + 1) << "one version on";
  EXPECT_GT(notified.load(), notified_before);
  EXPECT_EQ(file_once(path, renamed), renamed);
  // A destination added: described too, one version further.
  g_signal_emit_by_name(sink, "add", "239.66.0.3", 5004);
  const std::string added = wait_for_sdp(sink, "239.66.0.3");
  ASSERT_FALSE(added.empty());
  EXPECT_EQ(origin_of(added).second, version + 2);
  EXPECT_NE(added.find("a=group:DUP leg1 leg2"), std::string::npos) << added;
  // Nothing changed: no new version.
  g_object_set(sink, "session-name", "Stage left", nullptr);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(origin_of(sdp_of(sink)).second, version + 2);
  p.set_state("rx", GST_STATE_NULL);
  EXPECT_EQ(sdp_of(sink), "") << "stopped: nothing is sent, nothing described";
  std::remove(path.c_str());
}

TEST(SinkSdp, PerLegDestinationsAreADupGroupEachWithItsOwnSourceAndMid) {
  Pipeline p(kAes67Audio + "mcastexpertsink name=sink sync=true groups=239.66.1.1@eth0,239.66.2.1:5006@eth1");
  GstElement* sink = p.by_name("sink");
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  const std::string sdp = wait_for_sdp(sink, "a=ptime");
  ASSERT_FALSE(sdp.empty());
  const auto lines = lines_of(sdp);
  const auto at = [&](const std::string& l) { return std::find(lines.begin(), lines.end(), l) - lines.begin(); };
  const auto group = at("a=group:DUP leg1 leg2");
  const auto m1 = at("m=audio 5004 RTP/AVP 98");
  const auto m2 = at("m=audio 5006 RTP/AVP 98");
  ASSERT_LT(m2, static_cast<long>(lines.size())) << sdp;
  EXPECT_LT(group, m1) << "a=group at session level, before the media";
  EXPECT_LT(m1, m2);
  EXPECT_EQ(lines[m1 + 1], "c=IN IP4 239.66.1.1/1");
  EXPECT_EQ(lines[m2 + 1], "c=IN IP4 239.66.2.1/1");
  EXPECT_NE(at("a=source-filter: incl IN IP4 239.66.1.1 " + F("RX_ETH0_IPV4")), static_cast<long>(lines.size()));
  EXPECT_NE(at("a=source-filter: incl IN IP4 239.66.2.1 " + F("RX_ETH1_IPV4")), static_cast<long>(lines.size()));
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "a=mid:leg1"), 1);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "a=mid:leg2"), 1);
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(), [](const std::string& l) { return l.rfind("c=", 0) == 0; }), 2)
      << "no session-level c= with two legs";
}

TEST(SinkSdp, Ipv6IsDescribedAsIp6) {
  Pipeline p(kAes67Audio + "mcastexpertsink name=sink sync=true groups=[ff15::66:1]:5004 iface=eth0");
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  const std::string sdp = wait_for_sdp(p.by_name("sink"));
  ASSERT_FALSE(sdp.empty());
  EXPECT_NE(sdp.find("c=IN IP6 ff15::66:1\r\n"), std::string::npos) << sdp;
  EXPECT_NE(sdp.find(" IN IP6 " + F("RX_ETH0_IPV6") + "\r\n"), std::string::npos) << sdp;
  EXPECT_NE(sdp.find("a=source-filter: incl IN IP6 ff15::66:1 " + F("RX_ETH0_IPV6")), std::string::npos) << sdp;
}

TEST(SinkSdp, AStreamThatIsNotRtpHasNoSdp) {
  Pipeline p("audiotestsrc is-live=true ! audioconvert ! mcastexpertsink name=sink groups=239.66.0.9 iface=eth0");
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(sdp_of(p.by_name("sink")), "");
}

TEST(SinkSdp, WithAPtpClockItNamesTheGrandmasterAndAMediaClockOffsetThatHolds) {
  PtpGrandmaster grandmaster("txa");
  {
    lab::InHost in("rx");  // the PTP helper process GStreamer starts listens on rx
    const gchar* interfaces[] = {"eth0", nullptr};
    ASSERT_TRUE(gst_ptp_init(GST_PTP_CLOCK_ID_NONE, const_cast<gchar**>(interfaces)));
  }
  GstClock* clock = gst_ptp_clock_new("lab-ptp", 0);
  ASSERT_TRUE(gst_clock_wait_for_sync(clock, 30 * GST_SECOND)) << "no PTP sync from ptp4l within 30 s";
  // A receiver on rx itself (loop=true) reads the RTP timestamps as they arrive.
  RawReceiver rx("rx", "239.66.4.1", 5030, I("RX_ETH0_INDEX"));
  Pipeline p(kAes67Audio + "mcastexpertsink name=sink sync=true loop=true groups=239.66.4.1:5030 iface=eth0");
  gst_pipeline_use_clock(GST_PIPELINE(p.get()), clock);
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  const std::string sdp = wait_for_sdp(p.by_name("sink"), "a=mediaclk");
  ASSERT_FALSE(sdp.empty()) << sdp_of(p.by_name("sink"));
  const std::string refclk = "a=ts-refclk:ptp=IEEE1588-2008:" + eui64(grandmaster.clock_identity()) + ":0";
  EXPECT_NE(sdp.find(refclk + "\r\n"), std::string::npos) << "wanted " << refclk << " in\n" << sdp;
  const size_t mediaclk = sdp.find("a=mediaclk:direct=");
  ASSERT_NE(mediaclk, std::string::npos) << sdp;
  const uint32_t direct = static_cast<uint32_t>(std::stoul(sdp.substr(mediaclk + 18)));
  // RFC 7273: RTP timestamp = PTP time x 48,000 (mod 2^32) + direct. A packet's timestamp, against the PTP clock
  // when it arrives here, is off by no more than the pipeline's latency (well under 200 ms = 9,600 samples).
  for (int i = 0; i < 3; ++i) {
    const auto got = rx.receive(2000ms);
    ASSERT_TRUE(got.has_value());
    const GstClockTime now = gst_clock_get_time(clock);
    uint32_t ts = 0;
    std::memcpy(&ts, got->payload.data() + 4, 4);
    const auto media_clock = static_cast<uint32_t>(gst_util_uint64_scale(now, 48000, GST_SECOND));
    const auto off = static_cast<int32_t>(media_clock + direct - ntohl(ts));
    EXPECT_GE(off, 0) << "a packet stamped ahead of the PTP clock";
    EXPECT_LT(off, 9600) << "the offset does not hold: " << off << " samples";
  }
  p.set_state("rx", GST_STATE_NULL);
  gst_object_unref(clock);
}

TEST(SinkSap, AnnouncesTheSdpFromTheLeavingAddressAndDeletesItOnStop) {
  RawReceiver sap("txa", "239.255.255.255", 9875, I("TXA_ETH0_INDEX"));
  Pipeline p(kAes67Audio +
             "mcastexpertsink name=sink sync=true groups=239.66.7.1:5050 iface=eth0 sap=true "
             "sap-interval=1 session-name=Announced");
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  const std::string sdp = wait_for_sdp(p.by_name("sink"), "a=ptime");
  ASSERT_FALSE(sdp.empty());
  // The announcements: SAP v1, IPv4 origin = the address the stream leaves from, application/sdp, the sdp itself.
  const std::string source = F("RX_ETH0_IPV4");
  in_addr origin{};
  inet_pton(AF_INET, source.c_str(), &origin);
  bool current = false;
  for (int i = 0; i < 5 && !current; ++i) {
    const auto got = sap.receive(3000ms);
    ASSERT_TRUE(got.has_value()) << "no SAP announcement";
    const std::string& b = got->payload;
    ASSERT_GT(b.size(), 8u + 16u);
    EXPECT_EQ(static_cast<uint8_t>(b[0]), 0x20) << "version 1, IPv4 origin, an announcement";
    EXPECT_EQ(std::memcmp(b.data() + 4, &origin, 4), 0) << "the origin is " << source;
    EXPECT_EQ(b.compare(8, 16, std::string("application/sdp") + '\0'), 0);
    current = b.substr(24) == sdp_of(p.by_name("sink"));
    EXPECT_NE(b.find("s=Announced"), std::string::npos);
  }
  EXPECT_TRUE(current) << "the announcement carries the sdp as the property has it";
  p.set_state("rx", GST_STATE_NULL);
  bool deleted = false;
  for (int i = 0; i < 5 && !deleted; ++i) {
    const auto got = sap.receive(2000ms);
    if (!got) break;
    deleted = (static_cast<uint8_t>(got->payload[0]) & 0x04) != 0;
  }
  EXPECT_TRUE(deleted) << "no deletion after stop";
}

TEST(SinkSap, ASapGroupOfTheOtherFamilyIsRefusedNamingIt) {
  Pipeline p(kAes67Audio + "mcastexpertsink groups=239.66.7.2 iface=eth0 sap=true sap-group=ff05::2:7ffe");
  EXPECT_FALSE(p.set_state("rx", GST_STATE_PLAYING));
  const std::string text = p.error_text();
  EXPECT_NE(text.find("Property 'sap-group'"), std::string::npos) << text;
  EXPECT_NE(text.find("is IPv6 but the stream is IPv4"), std::string::npos) << text;
}

TEST(SinkSap, FfmpegFindsTheAnnouncedStreamAndDecodesIt) {
  const std::string out = temp_path("sap.raw");
  Pipeline p(kAes67Audio +
             "mcastexpertsink sync=true groups=239.66.7.3:5052 iface=eth0 sap=true sap-interval=1 "
             "sap-group=239.255.255.255,224.2.127.254");
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  try {
    run_in("txa", "timeout 20 ffmpeg -hide_banner -loglevel error -i sap://224.2.127.254 -t 1 -f s24be -y " + out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "FFmpeg's sap:// found nothing: " << e.what();
  }
  std::ifstream decoded(out, std::ios::binary | std::ios::ate);
  EXPECT_GT(decoded.tellg(), 100000) << "a second of 48 kHz stereo L24 is 288,000 bytes";
  std::remove(out.c_str());
}

// Software nobody here wrote plays the sink's SDP file on txa: FFmpeg decodes, sdpdemux depayloads and decodes.
struct InteropCase {
  const char* name;
  std::string upstream;       // what feeds the sink
  std::string ffmpeg_output;  // what FFmpeg writes from the stream
  std::string gst_decode;     // after sdpdemux
};

// By name: the struct's padding bytes are not for printing (valgrind sees them uninitialised).
void PrintTo(const InteropCase& c, std::ostream* out) {
  *out << c.name;
}

class SinkSdpInterop : public ::testing::TestWithParam<InteropCase> {};

TEST_P(SinkSdpInterop, FfmpegAndSdpdemuxPlayTheSdpFile) {
  const auto& c = GetParam();
  const std::string path = temp_path(std::string(c.name) + ".sdp");
  const std::string out = temp_path(std::string(c.name) + ".out");
  Pipeline p(c.upstream + "mcastexpertsink name=sink sync=true groups=239.66.3.1:5020 iface=eth0 sdp-file=" + path);
  ASSERT_TRUE(p.set_state("rx", GST_STATE_PLAYING));
  ASSERT_FALSE(wait_for_sdp(p.by_name("sink")).empty());
  std::this_thread::sleep_for(300ms);  // a measured packet time settles
  // FFmpeg, as its users open an SDP file.
  std::string command = "timeout 20 ffmpeg -hide_banner -loglevel error -protocol_whitelist file,udp,rtp -i " + path +
                        " " + c.ffmpeg_output + " -y " + out;
  try {
    run_in("txa", command);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "FFmpeg could not play the SDP: " << e.what() << "\n" << file_text(path);
  }
  std::ifstream decoded(out, std::ios::binary | std::ios::ate);
  EXPECT_GT(decoded.tellg(), 1000) << "FFmpeg decoded nothing from\n" << file_text(path);
  std::remove(out.c_str());
  // GStreamer's sdpdemux, in a process of its own on txa (a pipeline in this process could be handed a pooled
  // streaming thread made on rx, and join there): five decoded buffers, then EOS ends it.
  try {
    run_in("txa", "timeout 15 gst-launch-1.0 -q filesrc location=" + path + " ! sdpdemux latency=50 ! " + c.gst_decode +
                      " ! identity eos-after=5 ! fakesink >/dev/null 2>&1");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "sdpdemux did not decode 5 buffers from the SDP: " << e.what() << "\n" << file_text(path);
  }
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Streams, SinkSdpInterop,
    ::testing::Values(InteropCase{"L24", kAes67Audio, "-t 2 -f s24be", "rtpL24depay ! audioconvert"},
                      InteropCase{
                          "raw",
                          "videotestsrc is-live=true ! video/x-raw,format=UYVY,width=64,height=48,framerate=25/1 ! "
                          "rtpvrawpay ! ",
                          "-frames:v 10 -f rawvideo", "rtpvrawdepay ! videoconvert"},
                      InteropCase{"H264",
                                  "videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=25/1 ! "
                                  "x264enc tune=zerolatency key-int-max=5 ! rtph264pay config-interval=1 ! ",
                                  "-frames:v 10 -f rawvideo", "rtph264depay ! avdec_h264"}),
    [](const ::testing::TestParamInfo<InteropCase>& info) { return std::string(info.param.name); });

int main(int argc, char** argv) {
  return run_sink_lab(argc, argv);
}
