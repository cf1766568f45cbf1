// mcastexpert announce: announces any SDP by SAP until stopped, then sends its deletion — so that a sender that
// cannot announce (FFmpeg's RTP output, a camera) can be found by name.
#include <gst/gst.h>
#include <poll.h>

#include <cstdio>
#include <string>

#include "address_list.hpp"
#include "commands.hpp"
#include "report.hpp"
#include "sap_announcer.hpp"
#include "sdp_reading.hpp"
#include "stop_signal.hpp"

namespace mcastexpert::tool {
namespace {

const CommandSpec kSpec{
    "announce",
    "FILE.sdp [--iface IF[,IF]] [--interval S] [--sap-group G[,G]] [--count N]",
    "Announce an SDP by SAP until stopped, and send its deletion on exit.",
    "Sends the SDP in FILE (checked first as mcastexpertsrc reads it) by SAP every --interval seconds (default 5),\n"
    "to --sap-group (default 239.255.255.255, where Dante and AES67 devices listen; add 224.2.127.254 for FFmpeg\n"
    "and VLC; an IPv6 stream: ff0X::2:7ffe of its group's scope), by each --iface interface with that interface's\n"
    "address as the origin (default: where the routing table sends the SAP group), with the TTL of the SDP's c=\n"
    "line. Ctrl-C or SIGTERM (or --count announcements) ends it with a deletion, so listeners drop it at once.\n"
    "Exit code 0 after the deletion was sent; 1 when the SDP cannot be received or nothing could be sent; 2 for a\n"
    "bad command line.\n",
    1,
    1,
    {{"iface", 0, "IF[,IF]", "the interfaces to announce by"},
     {"interval", 0, "S", "seconds between announcements (default 5)"},
     {"sap-group", 0, "G[,G]", "the SAP groups (default 239.255.255.255; IPv6: ff0X::2:7ffe)"},
     {"count", 0, "N", "stop after N announcements (default: until Ctrl-C)"}},
};

int run(const ParsedArgs& args) {
  gst_init(nullptr, nullptr);
  const std::string path = args.positionals().front();
  const std::string sdp = read_sdp_file(path);
  const StreamDescription d = read_sdp(sdp);  // what a listener's source will do with it: checked first
  const double interval = args.get_seconds("interval", 5.0);
  const auto count = static_cast<uint64_t>(args.get_integer("count", 0, 1, 1000000000));
  SapAnnouncerSettings settings;
  const std::string groups = args.get("sap-group");
  if (groups.empty()) {
    settings.groups = {d.legs.front().group.is_v4() ? *IpAddress::parse("239.255.255.255")
                                                    : sap_group_for(d.legs.front().group)};
  } else {
    for (const auto& g : about_setting("sap-group", [&] { return parse_group_list(groups, kReceiverGroupRules); }))
      settings.groups.push_back(g.address);
  }
  settings.iface = args.get("iface");
  settings.ttl = d.legs.front().ttl > 0 ? d.legs.front().ttl : 1;
  SapAnnouncer announcer(settings, InterfaceTable::from_system());
  for (const auto& e : announcer.egresses())
    std::printf("Announcing \"%s\" by %s from %s every %g s\n", d.session_name.c_str(), e.iface.name.c_str(),
                e.source.to_string().c_str(), interval);
  std::fflush(stdout);

  Waker stop;
  wake_on_signals(stop);
  uint64_t sent = 0;
  for (uint64_t n = 0; count == 0 || n < count; ++n) {
    sent += announcer.announce(sdp);
    if (count != 0 && n + 1 == count) break;
    pollfd p{stop.fd(), POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(interval * 1000)) > 0) break;
  }
  const size_t deleted = announcer.announce(sdp, true);
  std::printf("Sent %llu announcements and the deletion\n", static_cast<unsigned long long>(sent));
  if (sent == 0 || deleted == 0) {
    std::fprintf(stderr, "mcastexpert announce: nothing could be sent. Fix: check the interface and its route\n");
    return kExitNo;
  }
  return kExitOk;
}

}  // namespace

const Command kAnnounceCommand{kSpec, run};

}  // namespace mcastexpert::tool
