// mcastexpert sap: the streams announced by SAP (RFC 2974) that this host hears, on the interfaces named — as they
// come and go, or as a list after a while.
#include <gst/gst.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "json_writer.hpp"
#include "pacer.hpp"
#include "report.hpp"
#include "sap_listener.hpp"
#include "sdp_reading.hpp"
#include "stop_signal.hpp"

namespace mcastexpert::tool {
namespace {

const CommandSpec kSpec{
    "sap",
    "[--iface IF[,IF]] [--group G[,G]] [--seconds N] [--json]",
    "List the streams announced by SAP that this host hears, and follow them as they come and go.",
    "Joins the SAP groups on port 9875 — by default 239.255.255.255 (Dante, AES67 devices, aes67-linux-daemon,\n"
    "PipeWire's AES67 setup), 224.2.127.254 (FFmpeg, VLC), 224.0.0.56 (PipeWire's default) and, where the\n"
    "interfaces have IPv6, ff02::2:7ffe, ff05::2:7ffe and ff08::2:7ffe — on --iface (a list; by default every\n"
    "interface the source joins on) and prints each session as it is announced (+), updated (~)\n"
    "and deleted or silent too long (-): name, origin, group and port, payload, the interface it was heard on, the\n"
    "SAP group, its age and announce period. With --seconds N it listens that long and prints the list (or JSON)\n"
    "instead. Exit code 0 when a session was heard; 1 when none was (or the host refused to join); 2 for a bad\n"
    "command line.\n",
    0,
    0,
    {{"iface", 0, "IF[,IF]", "the interfaces to listen on (default: the source's default interfaces)"},
     {"group", 0, "G[,G]",
      "the SAP groups to join, either family, each with its own :port if not 9875 (default: all of the above)"},
     {"seconds", 0, "N", "listen this long, then print the list (default: follow until Ctrl-C)"},
     {"json", 0, nullptr, "print JSON: sessions with their SDP (with --seconds)"}},
};

// What a session says of itself, read with the source's code: its legs' groups and ports, the senders, the payload;
// or why the source could not receive it.
struct Described {
  std::vector<std::string> groups;
  std::vector<uint16_t> ports;
  std::vector<std::string> sources;
  std::string payload;  // "L24/48000 (97)"
  std::string error;
};

Described describe_session(const AnnouncedSession& s) {
  Described out;
  try {
    const StreamDescription d = read_sdp(s.sdp);
    for (const auto& leg : d.legs) {
      out.groups.push_back(leg.group.to_string());
      out.ports.push_back(leg.port);
      for (const auto& src : leg.sources)
        if (std::find(out.sources.begin(), out.sources.end(), src.to_string()) == out.sources.end())
          out.sources.push_back(src.to_string());
    }
    out.payload = d.encoding + "/" + std::to_string(d.clock_rate) + " (" + std::to_string(d.payload_type) + ")";
  } catch (const Error& e) {
    out.error = e.what();
  }
  return out;
}

// For a line of the list: "239.69.1.1:5004 + 239.70.1.1:5004 from 10.0.0.5 L24/48000 (97)".
std::string summary(const AnnouncedSession& s) {
  const Described d = describe_session(s);
  if (!d.error.empty()) return "(not receivable: " + d.error + ")";
  std::string text;
  for (size_t i = 0; i < d.groups.size(); ++i)
    text += (i == 0 ? "" : " + ") + d.groups[i] + ":" + std::to_string(d.ports[i]);
  for (size_t i = 0; i < d.sources.size(); ++i) text += (i == 0 ? " from " : ",") + d.sources[i];
  return text + " " + d.payload;
}

void print_change(char mark, const AnnouncedSession& s) {
  std::printf("%c \"%s\" from %s on %s (SAP %s): %s\n", mark, s.name.c_str(), s.origin.to_string().c_str(),
              s.ifname.c_str(), s.sap_group.to_string().c_str(), summary(s).c_str());
  std::fflush(stdout);
}

int run(const ParsedArgs& args) {
  gst_init(nullptr, nullptr);
  const double seconds = args.get_seconds("seconds", 0.0);
  const bool json = args.has("json");
  SapListenerSettings settings;
  if (args.has("group"))
    settings.groups = about_setting("group", [&] { return parse_group_list(args.get("group"), kSapGroupRules); });
  settings.iface = args.get("iface");
  SapListener listener(settings);
  if (!json) {
    std::printf("Listening for SAP on %s (%s, port %u)\n", listener.interfaces().c_str(), listener.groups().c_str(),
                kSapPort);
    if (!listener.skipped().empty()) std::printf("  (not listening on %s)\n", listener.skipped().c_str());
    std::fflush(stdout);
  }

  Waker stop;
  wake_on_signals(stop);
  size_t heard = 0;
  const int64_t start = monotonic_ns();
  const int64_t deadline = seconds > 0 ? start + static_cast<int64_t>(seconds * 1e9) : -1;
  std::vector<SapEvent> events;
  while (true) {
    const int64_t now = monotonic_ns();
    if (deadline >= 0 && now >= deadline) break;
    const int wait_ms = deadline < 0 ? 1000 : static_cast<int>(std::min<int64_t>(1000, (deadline - now) / 1000000 + 1));
    if (!listener.listen(wait_ms, stop, events)) break;
    for (const auto& e : events) {
      const AnnouncedSession& s = e.session;
      switch (e.kind) {
        case SapEvent::Kind::Added:
          ++heard;
          if (!json) print_change('+', s);
          break;
        case SapEvent::Kind::Updated:
          if (!json) print_change('~', s);
          break;
        case SapEvent::Kind::Deleted:
          if (!json)
            std::printf("- \"%s\" from %s on %s: deleted by its announcer\n", s.name.c_str(),
                        s.origin.to_string().c_str(), s.ifname.c_str());
          break;
        case SapEvent::Kind::Expired:
          if (!json)
            std::printf("- \"%s\" from %s on %s: silent too long\n", s.name.c_str(), s.origin.to_string().c_str(),
                        s.ifname.c_str());
          break;
        case SapEvent::Kind::Refused:
          std::fprintf(stderr, "mcastexpert sap: more than %zu sessions announced; the rest are not listed\n",
                       SapDirectory::kMaxSessions);
          break;
      }
      std::fflush(stdout);
    }
  }
  const SapDirectory& directory = listener.directory();
  const int64_t end = monotonic_ns();
  if (json) {
    JsonWriter out;
    out.begin_object().key("sessions").begin_array();
    for (const auto& s : directory.sessions()) {
      out.begin_object()
          .field("name", s.name)
          .field("origin", s.origin.to_string())
          .field("interface", s.ifname)
          .field("sap_group", s.sap_group.to_string())
          .field("version", s.version)
          .field("age_s", static_cast<double>(end - s.first_heard_ns) / 1e9)
          .field("period_s", static_cast<double>(s.period_ns) / 1e9)
          .field("stream", summary(s));
      const Described d = describe_session(s);
      out.key("groups").begin_array();
      for (const auto& g : d.groups) out.value(g);
      out.end_array().key("ports").begin_array();
      for (const auto p : d.ports) out.value(unsigned{p});
      out.end_array().key("sources").begin_array();
      for (const auto& src : d.sources) out.value(src);
      out.end_array().field("payload", d.payload).field("sdp", s.sdp).end_object();
    }
    out.end_array().end_object();
    std::printf("%s\n", out.str().c_str());
  } else if (seconds > 0) {
    std::printf("%zu session%s heard:\n", directory.sessions().size(), directory.sessions().size() == 1 ? "" : "s");
    for (const auto& s : directory.sessions())
      std::printf("  \"%s\" from %s on %s (SAP %s, every %.1f s, first heard %.1f s ago): %s\n", s.name.c_str(),
                  s.origin.to_string().c_str(), s.ifname.c_str(), s.sap_group.to_string().c_str(),
                  static_cast<double>(s.period_ns) / 1e9, static_cast<double>(end - s.first_heard_ns) / 1e9,
                  summary(s).c_str());
  }
  if (heard == 0) {
    std::fprintf(stderr,
                 "mcastexpert sap: no announcement heard. Fix: check the announcer's SAP group and TTL, and "
                 "mcastexpert doctor --iface IF --group 239.255.255.255 --port 9875\n");
    return kExitNo;
  }
  return kExitOk;
}

}  // namespace

const Command kSapCommand{kSpec, run};

}  // namespace mcastexpert::tool
