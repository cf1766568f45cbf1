#include "sap_packet.hpp"

#include <gio/gio.h>

#include <cstring>

#include "sdp_reading.hpp"

namespace mcastexpert {

namespace {

constexpr uint8_t kVersion1 = 0x20;  // V=1 in the top three bits
constexpr uint8_t kIpv6Origin = 0x10;
constexpr uint8_t kDeletion = 0x04;
constexpr uint8_t kEncrypted = 0x02;
constexpr uint8_t kCompressed = 0x01;
constexpr char kSdpType[] = "application/sdp";

// Inflates a zlib stream, stopping (false) past `limit` bytes: a small packet must not become a large SDP.
bool inflate_bounded(const uint8_t* data, size_t size, size_t limit, std::string& out) {
  GZlibDecompressor* z = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_ZLIB);
  std::vector<char> buf(limit + 1);
  size_t in_done = 0, out_done = 0;
  bool ok = false;
  while (true) {
    gsize read = 0, written = 0;
    GError* error = nullptr;
    const GConverterResult r =
        g_converter_convert(G_CONVERTER(z), data + in_done, size - in_done, buf.data() + out_done,
                            buf.size() - out_done, G_CONVERTER_INPUT_AT_END, &read, &written, &error);
    in_done += read;
    out_done += written;
    if (r == G_CONVERTER_ERROR) {
      g_error_free(error);
      break;
    }
    if (out_done > limit) break;
    if (r == G_CONVERTER_FINISHED) {
      ok = true;
      break;
    }
    if (read == 0 && written == 0) break;  // no progress: truncated
  }
  g_object_unref(z);
  if (ok) out.assign(buf.data(), out_done);
  return ok;
}

}  // namespace

uint16_t sap_hash(std::string_view sdp) {
  // FNV-1a, folded to 16 bits.
  uint32_t h = 2166136261u;
  for (const unsigned char c : sdp) h = (h ^ c) * 16777619u;
  const auto folded = static_cast<uint16_t>((h >> 16) ^ (h & 0xffff));
  return folded != 0 ? folded : 1;
}

std::vector<uint8_t> build_sap(const SapMessage& m) {
  std::vector<uint8_t> p;
  p.push_back(static_cast<uint8_t>(kVersion1 | (m.origin.is_v6() ? kIpv6Origin : 0) | (m.deletion ? kDeletion : 0)));
  p.push_back(0);  // no authentication data
  p.push_back(static_cast<uint8_t>(m.hash >> 8));
  p.push_back(static_cast<uint8_t>(m.hash & 0xff));
  const auto* origin = m.origin.is_v6() ? reinterpret_cast<const uint8_t*>(&m.origin.v6())
                                        : reinterpret_cast<const uint8_t*>(&m.origin.v4());
  p.insert(p.end(), origin, origin + (m.origin.is_v6() ? 16 : 4));
  p.insert(p.end(), kSdpType, kSdpType + sizeof kSdpType);  // with its NUL
  p.insert(p.end(), m.sdp.begin(), m.sdp.end());
  return p;
}

std::optional<SapMessage> parse_sap(const uint8_t* data, size_t size, std::string& why) {
  if (size < 8) {
    why = "shorter than a SAP header";
    return std::nullopt;
  }
  const uint8_t flags = data[0];
  if ((flags >> 5) != 1) {
    why = "not SAP version 1";
    return std::nullopt;
  }
  if ((flags & kEncrypted) != 0) {
    why = "encrypted (not supported)";
    return std::nullopt;
  }
  const size_t origin_len = (flags & kIpv6Origin) != 0 ? 16 : 4;
  const size_t auth_len = size_t{data[1]} * 4;
  size_t at = 4 + origin_len + auth_len;
  if (at > size || (at == size && (flags & kDeletion) == 0)) {
    why = "its header or authentication data runs past the packet";
    return std::nullopt;
  }
  SapMessage m;
  m.deletion = (flags & kDeletion) != 0;
  m.hash = static_cast<uint16_t>((data[2] << 8) | data[3]);
  if (origin_len == 4) {
    in_addr a{};
    std::memcpy(&a, data + 4, 4);
    m.origin = IpAddress::from_v4(a);
  } else {
    in6_addr a{};
    std::memcpy(&a, data + 4, 16);
    m.origin = IpAddress::from_v6(a);
  }
  std::string payload;
  if ((flags & kCompressed) != 0) {
    if (!inflate_bounded(data + at, size - at, kMaxSdpBytes, payload)) {
      why = "a compressed payload that does not inflate (or inflates past 64 KiB)";
      return std::nullopt;
    }
  } else {
    payload.assign(reinterpret_cast<const char*>(data + at), size - at);
  }
  // The payload type is optional (RFC 2974 s.6): an SDP starts "v=0"; anything else names its type first.
  if (!payload.empty() && payload.compare(0, 3, "v=0") != 0) {
    const size_t nul = payload.find('\0');
    if (nul == std::string::npos || payload.compare(0, nul, kSdpType) != 0) {
      why = "a payload that is not application/sdp";
      return std::nullopt;
    }
    payload.erase(0, nul + 1);
  }
  // A deletion may carry nothing after its header: its origin and message id hash say what it ends.
  if ((payload.empty() && !m.deletion) || payload.find('\0') != std::string::npos) {
    why = "an empty or binary payload";
    return std::nullopt;
  }
  m.sdp = std::move(payload);
  return m;
}

}  // namespace mcastexpert
