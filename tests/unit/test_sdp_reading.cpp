// Reading SDPs as the source does: the fixtures written as AES67 and ST 2110 gear and FFmpeg write them, the choice
// of media, RFC 7104 DUP pairs, source filters, and every error naming its line, what is wrong and the fix.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "error.hpp"
#include "sdp_reading.hpp"

using namespace mcastexpert;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(MCASTEXPERT_FIXTURES) + "/sdp/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.full();
  }
  return "";
}

GstStructure* caps_structure(const StreamDescription& d) {
  GstCaps* caps = gst_caps_from_string(d.caps.c_str());
  EXPECT_NE(caps, nullptr) << d.caps;
  GstStructure* s = gst_structure_copy(gst_caps_get_structure(caps, 0));
  gst_caps_unref(caps);
  return s;
}

const std::string kHead = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=test\r\nt=0 0\r\n";

}  // namespace

TEST(SdpReading, Aes67FromADanteDevice) {
  const auto d = read_sdp(fixture("aes67-dante.sdp"));
  EXPECT_EQ(d.session_name, "Stage Box 1 : 32");
  ASSERT_EQ(d.legs.size(), 1u);
  EXPECT_EQ(d.legs[0].group.to_string(), "239.69.83.171");
  EXPECT_EQ(d.legs[0].port, 5004);
  EXPECT_EQ(d.legs[0].ttl, 32);
  EXPECT_TRUE(d.legs[0].sources.empty());
  EXPECT_EQ(d.encoding, "L24");
  EXPECT_EQ(d.clock_rate, 48000);
  EXPECT_EQ(d.payload_type, 97);
  EXPECT_EQ(d.ptime, "1");
  EXPECT_EQ(d.ts_refclk, "ptp=IEEE1588-2008:00-1D-C1-FF-FE-12-34-56:0");
  EXPECT_EQ(d.mediaclk, "direct=2216659908");
  GstStructure* s = caps_structure(d);
  EXPECT_STREQ(gst_structure_get_name(s), "application/x-rtp");
  EXPECT_STREQ(gst_structure_get_string(s, "media"), "audio");
  EXPECT_STREQ(gst_structure_get_string(s, "encoding-params"), "2");
  // The RFC 7273 fields rtpjitterbuffer reads.
  EXPECT_STREQ(gst_structure_get_string(s, "a-ts-refclk"), "ptp=IEEE1588-2008:00-1D-C1-FF-FE-12-34-56:0");
  EXPECT_STREQ(gst_structure_get_string(s, "a-mediaclk"), "direct=2216659908");
  gst_structure_free(s);
}

TEST(SdpReading, St2110VideoWithItsSourceFilterAndFmtp) {
  const auto d = read_sdp(fixture("st2110-20-video.sdp"));
  ASSERT_EQ(d.legs.size(), 1u);
  EXPECT_EQ(d.legs[0].group.to_string(), "239.100.9.10");
  EXPECT_EQ(d.legs[0].port, 50000);
  ASSERT_EQ(d.legs[0].sources.size(), 1u);
  EXPECT_EQ(d.legs[0].sources[0].to_string(), "10.77.1.2");
  GstStructure* s = caps_structure(d);
  EXPECT_STREQ(gst_structure_get_string(s, "encoding-name"), "RAW");
  EXPECT_STREQ(gst_structure_get_string(s, "sampling"), "YCbCr-4:2:2");
  EXPECT_STREQ(gst_structure_get_string(s, "width"), "1920");
  EXPECT_STREQ(gst_structure_get_string(s, "exactframerate"), "30000/1001");
  gst_structure_free(s);
}

TEST(SdpReading, St2110AudioAt125Microseconds) {
  const auto d = read_sdp(fixture("st2110-30-audio.sdp"));
  EXPECT_EQ(d.ptime, "0.125");
  GstStructure* s = caps_structure(d);
  EXPECT_STREQ(gst_structure_get_string(s, "encoding-params"), "8");
  EXPECT_STREQ(gst_structure_get_string(s, "a-framecount"), "6");
  gst_structure_free(s);
}

TEST(SdpReading, ADupPairGivesBothLegsInGroupOrderWhicheverIsChosen) {
  for (const char* selector : {"", "primary", "secondary", "video", "1"}) {
    const auto d = read_sdp(fixture("st2022-7-dup.sdp"), selector);
    ASSERT_EQ(d.legs.size(), 2u) << selector;
    EXPECT_EQ(d.legs[0].mid, "primary");
    EXPECT_EQ(d.legs[0].group.to_string(), "239.100.10.1");
    EXPECT_EQ(d.legs[0].port, 50020);
    EXPECT_EQ(d.legs[0].sources.at(0).to_string(), "10.77.1.2");
    EXPECT_EQ(d.legs[1].mid, "secondary");
    EXPECT_EQ(d.legs[1].group.to_string(), "239.101.10.1");
    EXPECT_EQ(d.legs[1].port, 50022);
    EXPECT_EQ(d.legs[1].sources.at(0).to_string(), "10.77.2.2");
  }
}

TEST(SdpReading, WhatFfmpegWritesForItsRtpOutput) {
  const auto d = read_sdp(fixture("ffmpeg-h264.sdp"));
  ASSERT_EQ(d.legs.size(), 1u);
  EXPECT_EQ(d.legs[0].group.to_string(), "239.77.0.5");
  EXPECT_EQ(d.encoding, "H264");
  GstStructure* s = caps_structure(d);
  EXPECT_STREQ(gst_structure_get_string(s, "packetization-mode"), "1");
  EXPECT_STREQ(gst_structure_get_string(s, "a-tool"), "libavformat 59.27.100");
  gst_structure_free(s);
}

TEST(SdpReading, MediaChosenByMidTypeOrIndexAndOneThatMatchesNothingListsThem) {
  const std::string two = kHead +
                          "m=audio 5004 RTP/AVP 98\r\nc=IN IP4 239.1.1.1/1\r\na=rtpmap:98 L16/48000/2\r\na=mid:a1\r\n"
                          "m=video 5006 RTP/AVP 96\r\nc=IN IP4 239.1.1.2/1\r\na=rtpmap:96 H264/90000\r\na=mid:v1\r\n";
  EXPECT_EQ(read_sdp(two).media, "audio");
  EXPECT_EQ(read_sdp(two, "video").legs[0].port, 5006);
  EXPECT_EQ(read_sdp(two, "v1").legs[0].port, 5006);
  EXPECT_EQ(read_sdp(two, "1").legs[0].port, 5006);
  EXPECT_EQ(read_sdp(two, "a1").legs[0].group.to_string(), "239.1.1.1");
  EXPECT_EQ(error_of([&] { read_sdp(two, "subtitles"); }),
            "has no media description 'subtitles' (by mid, media type or index). name one of 0: audio (mid a1) at "
            "line 5, 1: video (mid v1) at line 9");
}

TEST(SdpReading, IPv6AndSessionLevelConnection) {
  const auto d = read_sdp(kHead.substr(0, kHead.size() - 7) + "c=IN IP6 ff15::7\r\nt=0 0\r\n" +
                          "m=audio 5004 RTP/AVP 96\r\na=rtpmap:96 L24/48000/2\r\n" +
                          "a=source-filter: incl IN IP6 ff15::7 fd77:1::2\r\n");
  EXPECT_EQ(d.legs.at(0).group.to_string(), "ff15::7");
  EXPECT_EQ(d.legs[0].ttl, -1);
  EXPECT_EQ(d.legs[0].sources.at(0).to_string(), "fd77:1::2");
}

TEST(SdpReading, ExcludedSendersBecomeBlocked) {
  const auto d = read_sdp(kHead + "m=audio 5004 RTP/AVP 96\r\nc=IN IP4 239.1.1.1/1\r\na=rtpmap:96 L24/48000/2\r\n" +
                          "a=source-filter: excl IN IP4 239.1.1.1 10.0.0.9 10.0.0.8\r\n" +
                          "a=source-filter: incl IN IP4 239.9.9.9 10.0.0.7\r\n");  // another group's
  EXPECT_TRUE(d.legs.at(0).sources.empty());
  ASSERT_EQ(d.legs[0].blocked.size(), 2u);
  EXPECT_EQ(d.legs[0].blocked[1].to_string(), "10.0.0.8");
}

TEST(SdpReading, EveryErrorNamesTheLineWhatIsWrongAndTheFix) {
  const std::string m = "m=audio 5004 RTP/AVP 96\r\n";
  const std::string rtpmap = "a=rtpmap:96 L24/48000/2\r\n";
  struct Case {
    std::string sdp, want;
  } cases[] = {
      {kHead + m + "c=IN IP4 10.1.1.1\r\n" + rtpmap,
       "line 6 ('c=IN IP4 10.1.1.1') gives 10.1.1.1, which is not a multicast group. mcastexpertsrc receives "
       "multicast; for a unicast stream use udpsrc"},
      {kHead + "m=audio RTP/AVP 96\r\nc=IN IP4 239.1.1.1/1\r\n" + rtpmap, "line 5 ('m=audio RTP/AVP 96') has no port"},
      {kHead + "m=audio 5004 RTP/SAVP 96\r\nc=IN IP4 239.1.1.1/1\r\n" + rtpmap,
       "line 5 ('m=audio 5004 RTP/SAVP 96') has transport 'RTP/SAVP', not RTP over UDP (RTP/AVP)"},
      {kHead + "m=video 5004 udp 33\r\nc=IN IP4 239.1.1.1/1\r\n", "has transport 'udp', not RTP over UDP"},
      {kHead + m + rtpmap, "line 5 ('m=audio 5004 RTP/AVP 96') has no connection line (c=)"},
      {kHead + "a=group:DUP one two\r\n" + m + "c=IN IP4 239.1.1.1/1\r\n" + rtpmap + "a=mid:one\r\n",
       "line 5 ('a=group:DUP one two') names mid 'two', which no media description has"},
      {kHead + "a=group:DUP one two\r\n" + m + "c=IN IP4 239.1.1.1/1\r\n" + rtpmap + "a=mid:one\r\n" + m +
           "c=IN IP6 ff15::1\r\n" + rtpmap + "a=mid:two\r\n",
       "line 10 ('m=audio 5004 RTP/AVP 96') is IPv6 but the leg before it is IPv4"},
      {kHead + m + "c=IN IP6 239.1.1.1\r\n" + rtpmap, "says IP6 for a IPv4 address"},
      {kHead + m + "c=IN IP4 239.1.1.1/1\r\n" + rtpmap + "a=source-filter: incl IN IP4 239.1.1.1 239.2.2.2\r\n",
       "lists '239.2.2.2', which is not a sender's address"},
      {kHead + "m=audio 5004 RTP/AVP 99\r\nc=IN IP4 239.1.1.1/1\r\n",
       "has payload type 99 without an a=rtpmap line for it"},
      {kHead, "describes no media (no m= line)"},
      {"hello world\n", "line 1 ('hello world') is not an SDP line"},
      {"v=1\r\n", "line 1 ('v=1') is not 'v=0'"},
      {kHead + "this is not sdp\r\n", "line 5 ('this is not sdp') is not an SDP line"},
      {kHead + "x=\x01\x02\r\n", "line 5 ("},
      {"", "is empty"},
      {std::string(1024 * 1024, 'a'), "is 1048576 bytes, more than an SDP holds"},
  };
  for (const auto& c : cases) {
    const std::string e = error_of([&] { read_sdp(c.sdp); });
    EXPECT_NE(e.find(c.want), std::string::npos) << "for:\n" << c.sdp.substr(0, 300) << "\nsaid: " << e;
    EXPECT_NE(e.find(". "), std::string::npos) << "no fix in: " << e;
  }
}

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
