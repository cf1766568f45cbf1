// The sink's SDP: written from caps and legs in the line order AES67 devices accept, read back by the source's own
// reader to the same groups, ports, senders and caps; and the sink's describer measuring packet time and media
// clock offset from RTP packets, with the o= version going up only when the text changed.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <string>

#include "error.hpp"
#include "sdp_reading.hpp"
#include "sdp_writing.hpp"
#include "stream_describer.h"

using namespace mcastexpert;

namespace {

const char* kL24Caps =
    "application/x-rtp, media=(string)audio, clock-rate=(int)48000, encoding-name=(string)L24, "
    "encoding-params=(string)2, channels=(int)2, payload=(int)98, ssrc=(uint)12345, timestamp-offset=(uint)777, "
    "seqnum-offset=(uint)5";

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

SentStream aes67() {
  SentStream s;
  s.session_name = "Stage left";
  s.session_id = "3900000000123";
  s.version = 7;
  s.origin = ip("10.0.0.5");
  s.legs = {SentLeg{ip("239.69.1.1"), 5004, 32, {ip("10.0.0.5")}}};
  s.caps = kL24Caps;
  s.ptime = "1";
  s.framecount = 48;
  s.ptp = PtpReference{0x001DC1FFFE123456ull, 0};
  s.mediaclk_direct = 0;
  return s;
}

// An RTP packet with `timestamp` and SSRC 1.
GstBuffer* rtp(uint32_t timestamp, GstClockTime pts) {
  guint8 h[12] = {0x80, 98, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
  h[4] = static_cast<guint8>(timestamp >> 24);
  h[5] = static_cast<guint8>(timestamp >> 16);
  h[6] = static_cast<guint8>(timestamp >> 8);
  h[7] = static_cast<guint8>(timestamp);
  GstBuffer* b = gst_buffer_new_memdup(h, sizeof h);
  GST_BUFFER_PTS(b) = pts;
  return b;
}

}  // namespace

TEST(SdpWriting, AnAes67StreamInTheOrderDevicesAccept) {
  EXPECT_EQ(write_sdp(aes67()),
            "v=0\r\n"
            "o=- 3900000000123 7 IN IP4 10.0.0.5\r\n"
            "s=Stage left\r\n"
            "c=IN IP4 239.69.1.1/32\r\n"
            "t=0 0\r\n"
            "m=audio 5004 RTP/AVP 98\r\n"
            "a=recvonly\r\n"
            "a=rtpmap:98 L24/48000/2\r\n"
            "a=source-filter: incl IN IP4 239.69.1.1 10.0.0.5\r\n"
            "a=ptime:1\r\n"
            "a=framecount:48\r\n"
            "a=ts-refclk:ptp=IEEE1588-2008:00-1D-C1-FF-FE-12-34-56:0\r\n"
            "a=mediaclk:direct=0\r\n");
}

TEST(SdpWriting, WhatItWritesTheSourceReadsBack) {
  SentStream s = aes67();
  s.legs.push_back(SentLeg{ip("239.69.2.1"), 5006, 4, {ip("10.0.1.5")}});
  const StreamDescription d = read_sdp(write_sdp(s));
  ASSERT_EQ(d.legs.size(), 2u) << "a DUP group";
  EXPECT_EQ(d.legs[0].group.to_string(), "239.69.1.1");
  EXPECT_EQ(d.legs[0].ttl, 32);
  EXPECT_EQ(d.legs[0].sources.at(0).to_string(), "10.0.0.5");
  EXPECT_EQ(d.legs[1].group.to_string(), "239.69.2.1");
  EXPECT_EQ(d.legs[1].port, 5006);
  EXPECT_EQ(d.legs[1].sources.at(0).to_string(), "10.0.1.5");
  EXPECT_EQ(d.legs[0].mid, "leg1");
  EXPECT_EQ(d.legs[1].mid, "leg2");
  EXPECT_EQ(d.encoding, "L24");
  EXPECT_EQ(d.clock_rate, 48000);
  EXPECT_EQ(d.ts_refclk, "ptp=IEEE1588-2008:00-1D-C1-FF-FE-12-34-56:0");
}

TEST(SdpWriting, RawVideoCarriesItsFmtpAndIpv6HasNoTtl) {
  SentStream s = aes67();
  s.ptime.clear();
  s.framecount = 0;
  s.ptp.reset();
  s.origin = ip("fd00::5");
  s.legs = {SentLeg{ip("ff15::1"), 5004, 4, {ip("fd00::5")}}};
  s.caps =
      "application/x-rtp, media=(string)video, clock-rate=(int)90000, encoding-name=(string)RAW, "
      "sampling=(string)YCbCr-4:2:2, depth=(string)8, width=(string)320, height=(string)240, payload=(int)96";
  const std::string sdp = write_sdp(s);
  EXPECT_NE(sdp.find("o=- 3900000000123 7 IN IP6 fd00::5\r\n"), std::string::npos) << sdp;
  EXPECT_NE(sdp.find("c=IN IP6 ff15::1\r\n"), std::string::npos) << sdp;
  EXPECT_NE(sdp.find("a=fmtp:96 sampling=YCbCr-4:2:2;depth=8;width=320;height=240\r\n"), std::string::npos) << sdp;
  EXPECT_EQ(sdp.find("ptime"), std::string::npos);
  EXPECT_EQ(sdp.find("ts-refclk"), std::string::npos) << "no PTP, no claim of one";
}

TEST(SdpWriting, CapsThatAreNotRtpAreRefusedSayingWhatTheyAre) {
  SentStream s = aes67();
  s.caps = "video/mpegts, systemstream=(boolean)true";
  try {
    write_sdp(s);
    FAIL() << "written";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not RTP (caps video/mpegts"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("rtpmp2tpay"), std::string::npos);
  }
}

TEST(SdpWriting, ClockIdentitiesAreWrittenAsEui64) {
  EXPECT_EQ(eui64_text(0x7AA7BAFFFEE1BD6Eull), "7A-A7-BA-FF-FE-E1-BD-6E");
  EXPECT_EQ(eui64_text(0), "00-00-00-00-00-00-00-00");
}

TEST(StreamDescriber, MeasuresThePacketTimeAndRaisesTheVersionOnlyOnAChange) {
  plugin::StreamDescriber d;
  const std::vector<SentLeg> legs = {SentLeg{ip("239.69.1.1"), 5004, 1, {ip("10.0.0.5")}}};
  EXPECT_FALSE(d.describe(legs, "s", std::nullopt).has_value()) << "no caps: nothing";
  EXPECT_EQ(d.why_none(), "no caps yet");
  GstCaps* caps = gst_caps_from_string(kL24Caps);
  d.set_caps(caps);
  gst_caps_unref(caps);
  const auto first = d.describe(legs, "s", std::nullopt);
  ASSERT_TRUE(first.has_value());
  EXPECT_NE(first->find(" 1 IN IP4 10.0.0.5"), std::string::npos) << *first;
  EXPECT_EQ(first->find("ptime"), std::string::npos) << "nothing measured yet";
  EXPECT_FALSE(d.describe(legs, "s", std::nullopt).has_value()) << "unchanged: no new text";
  // 48 samples a packet, seen twice in a row: 1 ms.
  bool changed = false;
  for (uint32_t i = 0; i < 4; ++i) {
    GstBuffer* b = rtp(1000 + 48 * i, GST_CLOCK_TIME_NONE);
    changed |= d.measure(b, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE);
    gst_buffer_unref(b);
  }
  EXPECT_TRUE(changed);
  const auto measured = d.describe(legs, "s", std::nullopt);
  ASSERT_TRUE(measured.has_value());
  EXPECT_NE(measured->find("a=ptime:1\r\na=framecount:48\r\n"), std::string::npos) << *measured;
  EXPECT_NE(measured->find(" 2 IN IP4 10.0.0.5"), std::string::npos) << "one version on: " << *measured;
  const auto session_id = [](const std::string& sdp) {
    const size_t at = sdp.find("o=- ") + 4;
    return sdp.substr(at, sdp.find(' ', at) - at);
  };
  EXPECT_EQ(session_id(*measured), session_id(*first)) << "the same session";
  // 6 samples (ST 2110-30's 125 us).
  for (uint32_t i = 0; i < 3; ++i) {
    GstBuffer* b = rtp(5000 + 6 * i, GST_CLOCK_TIME_NONE);
    d.measure(b, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE);
    gst_buffer_unref(b);
  }
  EXPECT_NE(d.describe(legs, "s", std::nullopt)->find("a=ptime:0.125\r\na=framecount:6\r\n"), std::string::npos);
  d.stop();
  EXPECT_EQ(d.text(), "");
}

TEST(StreamDescriber, TheMediaClockOffsetIsWhatThePayloaderAddedToTheClock) {
  plugin::StreamDescriber d;
  GstCaps* caps = gst_caps_from_string(kL24Caps);
  d.set_caps(caps);
  gst_caps_unref(caps);
  // Base time 10 s, running time 2 s: the clock says 12 s = 576,000 samples; the packet says 576,000 + 777.
  GstBuffer* b = rtp(576000 + 777, 2 * GST_SECOND);
  EXPECT_TRUE(d.measure(b, 2 * GST_SECOND, 10 * GST_SECOND));
  EXPECT_FALSE(d.measure(b, 2 * GST_SECOND, 10 * GST_SECOND)) << "the same: no change";
  gst_buffer_unref(b);
  const std::vector<SentLeg> legs = {SentLeg{ip("239.69.1.1"), 5004, 1, {ip("10.0.0.5")}}};
  const auto with_ptp = d.describe(legs, "s", PtpReference{0x0102030405060708ull, 5});
  ASSERT_TRUE(with_ptp.has_value());
  EXPECT_NE(with_ptp->find("a=ts-refclk:ptp=IEEE1588-2008:01-02-03-04-05-06-07-08:5\r\na=mediaclk:direct=777\r\n"),
            std::string::npos)
      << *with_ptp;
  // A new grandmaster (a best-master change): a new version naming it.
  const auto moved = d.describe(legs, "s", PtpReference{0x1112131415161718ull, 5});
  ASSERT_TRUE(moved.has_value());
  EXPECT_NE(moved->find("a=ts-refclk:ptp=IEEE1588-2008:11-12-13-14-15-16-17-18:5\r\n"), std::string::npos) << *moved;
  EXPECT_NE(moved->find(" 2 IN IP4"), std::string::npos) << *moved;
  // The grandmaster gone (a clock that is not PTP): no reference claimed.
  const auto without = d.describe(legs, "s", std::nullopt);
  ASSERT_TRUE(without.has_value());
  EXPECT_EQ(without->find("ts-refclk"), std::string::npos);
}

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
