// What an SDP (RFC 8866) tells a receiver: for one media description (and the others RFC 7104 groups with it as
// duplicates), the groups, ports, senders and the caps GStreamer's sdpdemux would give the stream. Parsed with
// GStreamer's SDP library (gst-plugins-base); this file adds what a multicast receiver must check, with errors that
// name the line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ip_address.hpp"

namespace mcastexpert {

// One leg of a described stream: a media description's group, port and senders.
struct DescribedLeg {
  IpAddress group;
  uint16_t port = 0;
  int ttl = -1;                    // the c= line's /ttl (IPv4); -1 when none
  std::vector<IpAddress> sources;  // a=source-filter: incl (RFC 4570): only these senders
  std::vector<IpAddress> blocked;  // a=source-filter: excl: never these
  std::string mid;                 // a=mid, "" when there is none
  size_t media_index = 0;          // which m= (from 0)
};

// The stream a receiver takes from an SDP.
struct StreamDescription {
  std::string session_name;  // s=
  std::string origin;        // o=: "user sess-id version IN IP4 address"
  std::string media;         // m=: audio, video, application...
  int payload_type = -1;
  std::string encoding;  // from a=rtpmap ("L24", "RAW", "H264"), or the static payload type's
  int clock_rate = 0;
  std::string caps;                // as sdpdemux makes them, serialised (gst_caps_to_string)
  std::vector<DescribedLeg> legs;  // one, or the members of an a=group:DUP in the group's order
  std::string ts_refclk;           // a=ts-refclk (RFC 7273), media level else session level; "" when none
  std::string mediaclk;            // a=mediaclk
  std::string ptime;               // a=ptime, as written
};

// The most an SDP may hold: descriptions are a few KiB; anything near this is not one.
constexpr size_t kMaxSdpBytes = size_t{64} * 1024;

// Reads `text` for a receiver and chooses the media description `selector` names: "" the first one; an a=mid
// value; a media type ("audio", "video"); or an index from 0. A chosen description in an a=group:DUP brings the
// group's other members as further legs. Throws Error(InvalidSetting) naming the line (its number and text), what
// is wrong and how to fix it: not an SDP, not multicast, no port, a transport other than RTP over UDP, families
// mixed, a selector that matches nothing, a DUP group naming a missing mid, a text over kMaxSdpBytes.
// GStreamer must be initialised (the caps are GStreamer's).
StreamDescription read_sdp(std::string_view text, std::string_view selector = "");

// The text of an SDP file. Throws Error(NotFound) naming the path when it cannot be read, Error(InvalidSetting) when
// it is empty or larger than kMaxSdpBytes.
std::string read_sdp_file(const std::string& path);

}  // namespace mcastexpert
