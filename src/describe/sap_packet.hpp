// SAP (RFC 2974) packets: a stream's SDP announced on a well-known group and port, every few seconds, and a deletion
// when it stops. Built for announcing, read for listening — where every byte may be hostile: a truncated header, a
// length that lies, a compressed payload that inflates without end are refused, never followed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ip_address.hpp"

namespace mcastexpert {

// The SAP port, and the groups gear in the field announces on.
constexpr uint16_t kSapPort = 9875;

struct SapMessage {
  bool deletion = false;
  IpAddress origin;   // the announcer's address (the originating source field)
  uint16_t hash = 0;  // the message id hash: a new one for each new SDP
  std::string sdp;    // the payload
};

// The packet for `m`: SAP v1, no authentication, payload type application/sdp, not compressed.
std::vector<uint8_t> build_sap(const SapMessage& m);

// A message id hash for `sdp`: the same text, the same hash; never 0 (which some receivers take as "none").
uint16_t sap_hash(std::string_view sdp);

// Reads a packet. nullopt (with `why`, for the log) for one that is not a SAP v1 announcement with an SDP, or a
// deletion (with an SDP, its o= line, or nothing after the header): too short, another version, encrypted, a length
// past the end, another payload type, a compressed payload that is not zlib or inflates past kMaxSdpBytes, a payload
// that is not text.
std::optional<SapMessage> parse_sap(const uint8_t* data, size_t size, std::string& why);

}  // namespace mcastexpert
