// SAP packets (what mcastexpert sap reads off the network): parse_sap either gives a message whose SDP is text of at
// most 64 KiB (empty only for a deletion, which may carry nothing after its header) or refuses the packet; the
// directory filing it never holds more than its cap. Never a crash or hang.
#include <cstring>

#include "fuzz_check.hpp"
#include "sap_directory.hpp"
#include "sap_packet.hpp"
#include "sdp_reading.hpp"

using namespace mcastexpert;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static SapDirectory directory;  // across inputs, as a listener's lives across packets
  static int64_t now = 0;
  std::string why;
  const auto m = parse_sap(data, size, why);
  if (!m) {
    fuzz::require(!why.empty(), "a packet refused without a reason", fuzz::text_of(data, size));
    return 0;
  }
  fuzz::require(
      (!m->sdp.empty() || m->deletion) && m->sdp.size() <= kMaxSdpBytes && m->sdp.find('\0') == std::string::npos,
      "an SDP that is empty, binary or too large", fuzz::text_of(data, size));
  directory.heard(*m, 2, "eth0", *IpAddress::parse("239.255.255.255"), now += 1000000000);
  directory.expire(now);
  fuzz::require(directory.sessions().size() <= SapDirectory::kMaxSessions, "the directory grew past its cap",
                fuzz::text_of(data, size));
  return 0;
}
