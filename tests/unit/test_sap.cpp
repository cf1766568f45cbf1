// SAP (RFC 2974): packets built and read back, hostile packets refused (truncated, lying lengths, encrypted, another
// payload, a compressed bomb), and the directory of heard sessions: per interface, updates by version, deletions,
// expiry after several announce periods, and a cap however many sessions a network announces.
#include <gio/gio.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sap_directory.hpp"
#include "sap_packet.hpp"

using namespace mcastexpert;

namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

std::string sdp(const std::string& id, unsigned version, const std::string& name = "Stage") {
  return "v=0\r\no=- " + id + " " + std::to_string(version) + " IN IP4 10.0.0.5\r\ns=" + name +
         "\r\nc=IN IP4 239.69.1.1/1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 98\r\na=rtpmap:98 L24/48000/2\r\n";
}

std::optional<SapMessage> parse(const std::vector<uint8_t>& p, std::string* why_out = nullptr) {
  std::string why;
  auto m = parse_sap(p.data(), p.size(), why);
  if (why_out != nullptr) *why_out = why;
  return m;
}

std::vector<uint8_t> zlib(const std::string& text) {
  GZlibCompressor* z = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_ZLIB, 9);
  std::vector<uint8_t> out(text.size() + 1024);
  gsize read = 0, written = 0;
  g_converter_convert(G_CONVERTER(z), text.data(), text.size(), out.data(), out.size(), G_CONVERTER_INPUT_AT_END, &read,
                      &written, nullptr);
  g_object_unref(z);
  out.resize(written);
  return out;
}

constexpr int64_t kS = 1000000000;

}  // namespace

TEST(SapPacket, AnAnnouncementReadsBackAsWritten) {
  for (const char* origin : {"10.0.0.5", "fd00::5"}) {
    SapMessage m{false, ip(origin), sap_hash(sdp("1", 1)), sdp("1", 1)};
    const auto p = build_sap(m);
    EXPECT_EQ(p[0] >> 5, 1) << "version 1";
    const auto back = parse(p);
    ASSERT_TRUE(back.has_value()) << origin;
    EXPECT_FALSE(back->deletion);
    EXPECT_EQ(back->origin.to_string(), origin);
    EXPECT_EQ(back->hash, m.hash);
    EXPECT_EQ(back->sdp, m.sdp);
  }
  SapMessage del{true, ip("10.0.0.5"), 7, sdp("1", 1)};
  EXPECT_TRUE(parse(build_sap(del))->deletion);
}

TEST(SapPacket, TheHashFollowsTheSdpAndIsNeverZero) {
  EXPECT_EQ(sap_hash(sdp("1", 1)), sap_hash(sdp("1", 1)));
  EXPECT_NE(sap_hash(sdp("1", 1)), sap_hash(sdp("1", 2)));
  for (int i = 0; i < 5000; ++i) EXPECT_NE(sap_hash(std::to_string(i)), 0);
}

TEST(SapPacket, WithoutAPayloadTypeAndCompressedAsOthersSendThem) {
  // No payload type: the SDP follows the origin at once (RFC 2974 allows it; older announcers do it).
  std::vector<uint8_t> bare = {0x20, 0, 0x12, 0x34, 10, 0, 0, 5};
  const std::string text = sdp("9", 3);
  bare.insert(bare.end(), text.begin(), text.end());
  ASSERT_TRUE(parse(bare).has_value());
  EXPECT_EQ(parse(bare)->sdp, text);
  // Authentication data is skipped (its length counted in 32-bit words).
  std::vector<uint8_t> auth = {0x20, 2, 0x12, 0x34, 10, 0, 0, 5, 1, 2, 3, 4, 5, 6, 7, 8};
  auth.insert(auth.end(), text.begin(), text.end());
  EXPECT_EQ(parse(auth)->sdp, text);
  // zlib-compressed.
  std::vector<uint8_t> packed = {0x21, 0, 0x12, 0x34, 10, 0, 0, 5};
  const auto body = zlib(std::string("application/sdp") + '\0' + text);
  packed.insert(packed.end(), body.begin(), body.end());
  ASSERT_TRUE(parse(packed).has_value());
  EXPECT_EQ(parse(packed)->sdp, text);
}

TEST(SapPacket, HostilePacketsAreRefusedSayingWhy) {
  const std::string text = sdp("1", 1);
  auto with = [&](std::vector<uint8_t> head, const std::string& body) {
    head.insert(head.end(), body.begin(), body.end());
    return head;
  };
  struct Case {
    std::vector<uint8_t> packet;
    const char* why;
  } cases[] = {
      {{0x20, 0, 1}, "shorter than a SAP header"},
      {with({0x40, 0, 1, 2, 10, 0, 0, 5}, text), "not SAP version 1"},
      {with({0x22, 0, 1, 2, 10, 0, 0, 5}, text), "encrypted"},
      {with({0x20, 255, 1, 2, 10, 0, 0, 5}, text), "runs past the packet"},
      {with({0x30, 0, 1, 2, 10, 0, 0, 5}, "short"), "runs past the packet"},  // an IPv6 origin needs 16 bytes
      {with({0x20, 0, 1, 2, 10, 0, 0, 5}, std::string("text/plain") + '\0' + "hello"), "not application/sdp"},
      {with({0x21, 0, 1, 2, 10, 0, 0, 5}, "not zlib at all"), "does not inflate"},
      {with({0x20, 0, 1, 2, 10, 0, 0, 5}, std::string("application/sdp") + '\0'), "empty or binary"},
  };
  for (const auto& c : cases) {
    std::string why;
    EXPECT_FALSE(parse(c.packet, &why).has_value()) << c.why;
    EXPECT_NE(why.find(c.why), std::string::npos) << why;
  }
  // A bomb: a small compressed payload that would inflate to 10 MB.
  std::vector<uint8_t> bomb = {0x21, 0, 1, 2, 10, 0, 0, 5};
  const auto body = zlib(std::string("application/sdp") + '\0' + "v=0\r\n" + std::string(10 * 1024 * 1024, 'a'));
  EXPECT_LT(body.size(), 64 * 1024u);
  bomb.insert(bomb.end(), body.begin(), body.end());
  std::string why;
  EXPECT_FALSE(parse(bomb, &why).has_value());
  EXPECT_NE(why.find("64 KiB"), std::string::npos) << why;
}

TEST(SapDirectory, SessionsAreAddedUpdatedByVersionAndRemovedByDeletion) {
  SapDirectory dir;
  const IpAddress g = ip("239.255.255.255");
  using C = SapDirectory::Change;
  SapMessage a{false, ip("10.0.0.5"), 1, sdp("42", 1, "Stage")};
  EXPECT_EQ(dir.heard(a, 2, "eth0", g, 0), C::Added);
  EXPECT_EQ(dir.heard(a, 2, "eth0", g, 5 * kS), C::None) << "heard again: the same";
  ASSERT_EQ(dir.sessions().size(), 1u);
  EXPECT_EQ(dir.sessions()[0].name, "Stage");
  EXPECT_EQ(dir.sessions()[0].period_ns, 5 * kS);
  EXPECT_EQ(dir.sessions()[0].ifname, "eth0");
  SapMessage newer{false, ip("10.0.0.5"), 2, sdp("42", 2, "Stage left")};
  EXPECT_EQ(dir.heard(newer, 2, "eth0", g, 10 * kS), C::Updated);
  EXPECT_EQ(dir.sessions()[0].name, "Stage left");
  EXPECT_EQ(dir.heard(a, 2, "eth0", g, 11 * kS), C::None) << "an older version is not taken";
  EXPECT_EQ(dir.sessions()[0].version, 2u);
  // The same session on another interface is another entry: an announcement on one is never heard on another.
  EXPECT_EQ(dir.heard(newer, 3, "eth1", g, 12 * kS), C::Added);
  EXPECT_EQ(dir.sessions().size(), 2u);
  SapMessage gone{true, ip("10.0.0.5"), 2, sdp("42", 2)};
  EXPECT_EQ(dir.heard(gone, 2, "eth0", g, 13 * kS), C::Removed);
  ASSERT_EQ(dir.sessions().size(), 1u);
  EXPECT_EQ(dir.sessions()[0].ifname, "eth1");
  EXPECT_EQ(dir.heard(gone, 2, "eth0", g, 14 * kS), C::None) << "nothing left to delete";
}

TEST(SapDirectory, ADeletionWithoutAnSdpEndsTheAnnouncementOfItsOriginAndHash) {
  SapDirectory dir;
  const IpAddress g = ip("239.255.255.255");
  dir.heard({false, ip("10.0.0.5"), 0x1234, sdp("42", 1, "Stage")}, 2, "eth0", g, 0);
  dir.heard({false, ip("10.0.0.5"), 0x1234, sdp("42", 1, "Stage")}, 3, "eth1", g, 0);
  // Header only, as the packet carries it: another hash, another origin, another interface end nothing.
  std::string why;
  const auto header_only = build_sap({true, ip("10.0.0.5"), 0x1234, ""});
  const auto parsed = parse_sap(header_only.data(), header_only.size(), why);
  ASSERT_TRUE(parsed) << why;
  EXPECT_TRUE(parsed->deletion);
  EXPECT_EQ(dir.heard({true, ip("10.0.0.5"), 0x9999, ""}, 2, "eth0", g, 1), SapDirectory::Change::None);
  EXPECT_EQ(dir.heard({true, ip("10.0.0.6"), 0x1234, ""}, 2, "eth0", g, 1), SapDirectory::Change::None);
  AnnouncedSession gone;
  EXPECT_EQ(dir.heard(*parsed, 2, "eth0", g, 1, &gone), SapDirectory::Change::Removed);
  EXPECT_EQ(gone.name, "Stage");
  ASSERT_EQ(dir.sessions().size(), 1u);
  EXPECT_EQ(dir.sessions()[0].ifname, "eth1") << "the same announcement heard on another network stays";
  // An announcement (not a deletion) with nothing after its header is refused.
  auto empty = build_sap({false, ip("10.0.0.5"), 0x1234, ""});
  empty.resize(8);
  EXPECT_FALSE(parse_sap(empty.data(), empty.size(), why));
}

TEST(SapDirectory, ASilentSessionIsForgottenAfterTenOfItsPeriodsWithinBounds) {
  EXPECT_EQ(SapDirectory::silence_limit_ns(5 * kS), 50 * kS);
  EXPECT_EQ(SapDirectory::silence_limit_ns(0), 300 * kS) << "30 s assumed until measured";
  EXPECT_EQ(SapDirectory::silence_limit_ns(kS), 30 * kS) << "at least 30 s";
  EXPECT_EQ(SapDirectory::silence_limit_ns(1000 * kS), 3600 * kS) << "at most an hour";
  SapDirectory dir;
  const IpAddress g = ip("239.255.255.255");
  SapMessage a{false, ip("10.0.0.5"), 1, sdp("42", 1)};
  dir.heard(a, 2, "eth0", g, 0);
  dir.heard(a, 2, "eth0", g, 5 * kS);
  EXPECT_TRUE(dir.expire(54 * kS).empty());
  EXPECT_EQ(dir.expire(56 * kS).size(), 1u);
  EXPECT_TRUE(dir.sessions().empty());
}

TEST(SapDirectory, AFloodOfDistinctSessionsIsCapped) {
  SapDirectory dir;
  const IpAddress g = ip("239.255.255.255");
  size_t refused = 0;
  for (int i = 0; i < 10000; ++i) {
    SapMessage m{false, ip("10.0.0.5"), 1, sdp(std::to_string(i), 1)};
    refused += dir.heard(m, 2, "eth0", g, i) == SapDirectory::Change::Refused;
  }
  EXPECT_EQ(dir.sessions().size(), SapDirectory::kMaxSessions);
  EXPECT_EQ(refused, 10000 - SapDirectory::kMaxSessions);
  SapMessage no_origin{false, ip("10.0.0.5"), 1, "v=0\r\ns=no origin\r\n"};
  EXPECT_EQ(dir.heard(no_origin, 2, "eth0", g, 0), SapDirectory::Change::None);
}
