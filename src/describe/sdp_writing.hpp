// The SDP (RFC 8866) of a stream a sender sends: written with GStreamer's SDP library from the negotiated RTP caps
// (the media <-> caps mapping webrtcbin uses), in the one line order AES67 and Dante devices accept:
//   v, o, s, c (one leg), t, a=group:DUP (several), then per leg m, c (several), a=recvonly, a=rtpmap, a=fmtp,
//   a=source-filter, a=ptime, a=framecount, a=ts-refclk, a=mediaclk, the caps' other attributes, a=mid.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ip_address.hpp"

namespace mcastexpert {

// One destination of the stream: a media description of its own.
struct SentLeg {
  IpAddress group;
  uint16_t port = 0;
  int ttl = 1;                     // written as c=.../ttl for IPv4
  std::vector<IpAddress> sources;  // the addresses its datagrams leave from (a=source-filter: incl)
};

// The PTP grandmaster a stream's timestamps follow (RFC 7273 ts-refclk, IEEE 1588-2008).
struct PtpReference {
  uint64_t grandmaster = 0;  // the clock identity, an EUI-64
  unsigned domain = 0;
};

struct SentStream {
  std::string session_name;   // s=, never empty
  std::string session_id;     // o= sess-id: digits, the same for the sender's life
  uint64_t version = 1;       // o= sess-version: up with every change
  IpAddress origin;           // o= address: where the datagrams leave from
  std::vector<SentLeg> legs;  // several: one m= each, under a=group:DUP with a=mid:leg1, leg2, ...
  std::string caps;           // the negotiated caps (serialised): application/x-rtp
  std::string ptime;          // a=ptime in ms ("1", "0.125"); "" when unknown
  unsigned framecount = 0;    // samples per packet (audio), 0 when unknown
  std::optional<PtpReference> ptp;
  std::optional<uint32_t> mediaclk_direct;  // a=mediaclk:direct=, with ptp
};

// "00-1D-C1-FF-FE-12-34-56": how ts-refclk writes a clock identity.
std::string eui64_text(uint64_t id);

// The SDP text (CRLF lines). Throws Error(InvalidSetting) when the caps are not RTP (application/x-rtp with a
// media, a payload type and an encoding), saying what they are.
std::string write_sdp(const SentStream& stream);

}  // namespace mcastexpert
