// mcastexpert sdp: an SDP checked as mcastexpertsrc reads it (the same code), what it describes, and the
// gst-launch-1.0 line that receives it.
#include <gst/gst.h>

#include <cstdio>
#include <string>

#include "commands.hpp"
#include "interface_spec.hpp"
#include "json_writer.hpp"
#include "reception_plan.hpp"
#include "report.hpp"
#include "sdp_reading.hpp"

namespace mcastexpert::tool {
namespace {

const CommandSpec kSpec{
    "sdp",
    "FILE [--iface IF[,IF]] [--media MID|TYPE|INDEX] [--json]",
    "Check an SDP as mcastexpertsrc reads it, say what it describes, print the launch line that receives it.",
    "FILE is a stream description (RFC 8866), '-' for standard input. It is read by the code mcastexpertsrc's sdp and\n"
    "sdp-file properties use: the media chosen (--media, as the media property: an a=mid, a type or an index; the\n"
    "first by default) and the legs of its a=group:DUP, each leg's group, port and senders (a=source-filter), the\n"
    "payload and clock, and the caps the source gives downstream. --iface names the interfaces as the iface\n"
    "property does (with a DUP pair, one per leg pins each leg) and is checked against this host.\n"
    "Exit code 0 when the source can receive it; 1 when it cannot (the reason, with the SDP line at fault, on\n"
    "stderr and as \"error\" and \"fix\" in JSON); 2 for a bad command line.\n",
    1,
    1,
    {{"iface", 0, "IF[,IF]", "the interfaces to receive on (iface=...)"},
     {"media", 0, "MID|TYPE|INDEX", "which media description (media=...)"},
     {"json", 0, nullptr, "print JSON: session, media, legs, clock, caps, launch"}},
};

std::string read_all(const std::string& path) {
  std::string text;
  if (path == "-") {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0 && text.size() <= kMaxSdpBytes) text.append(buf, n);
    return text;
  }
  return read_sdp_file(path);
}

// What decodes the stream after the depayloader, by its encoding: the usual GStreamer elements for it.
std::string decode_chain(const StreamDescription& d) {
  const std::string e = d.encoding;
  if (e == "L24") return "rtpL24depay ! audioconvert ! autoaudiosink";
  if (e == "L16") return "rtpL16depay ! audioconvert ! autoaudiosink";
  if (e == "L8") return "rtpL8depay ! audioconvert ! autoaudiosink";
  if (e == "RAW") return "rtpvrawdepay ! videoconvert ! autovideosink";
  if (e == "H264") return "rtph264depay ! avdec_h264 ! videoconvert ! autovideosink";
  if (e == "H265") return "rtph265depay ! avdec_h265 ! videoconvert ! autovideosink";
  if (e == "MP2T") return "rtpmp2tdepay ! tsdemux ! decodebin ! autovideosink";
  if (e == "OPUS") return "rtpopusdepay ! opusdec ! audioconvert ! autoaudiosink";
  if (e == "JPEG") return "rtpjpegdepay ! jpegdec ! videoconvert ! autovideosink";
  return "decodebin ! fakesink";
}

// A value as a gst-launch-1.0 word: quoted when the shell or the parser would split it.
std::string launch_word(const std::string& value) {
  if (value.find_first_of(" \t'\"!\\$;&|<>()") == std::string::npos) return value;
  std::string out = "'";
  for (const char c : value) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string launch_line(const std::string& path, const std::string& iface, const std::string& media,
                        const StreamDescription& d) {
  std::string line = "gst-launch-1.0 mcastexpertsrc sdp-file=" + launch_word(path == "-" ? "stream.sdp" : path);
  if (!iface.empty()) line += " iface=" + launch_word(iface);
  if (!media.empty()) line += " media=" + launch_word(media);
  // With an RFC 7273 reference clock in the caps, the jitterbuffer can align to it.
  line += d.ts_refclk.empty() ? " ! rtpjitterbuffer" : " ! rtpjitterbuffer rfc7273-sync=true";
  return line + " ! " + decode_chain(d);
}

std::string list_text(const std::vector<IpAddress>& list) {
  std::string out;
  for (const auto& a : list) out += (out.empty() ? "" : ", ") + a.to_string();
  return out;
}

int run(const ParsedArgs& args) {
  gst_init(nullptr, nullptr);
  const std::string path = args.positionals().front();
  const std::string iface = args.get("iface");
  const std::string media = args.get("media");
  const bool json = args.has("json");
  try {
    const StreamDescription d = read_sdp(read_all(path), media);
    const ReceptionPlan plan = plan_reception(d, iface);
    // The interfaces as the source resolves them, on this host.
    const InterfaceTable table = InterfaceTable::from_system();
    about_setting("iface", [&] { return resolve_interfaces(table, iface, InterfaceRole::Receive); });
    const std::string launch = launch_line(path, iface, media, d);
    if (json) {
      JsonWriter out;
      out.begin_object()
          .field("session", d.session_name)
          .field("origin", d.origin)
          .field("media", d.media)
          .field("payload", d.payload_type)
          .field("encoding", d.encoding)
          .field("clock_rate", d.clock_rate)
          .field("ptime", d.ptime)
          .key("legs")
          .begin_array();
      for (const auto& leg : d.legs) {
        out.begin_object()
            .field("group", leg.group.to_string())
            .field("port", leg.port)
            .field("ttl", leg.ttl)
            .field("mid", leg.mid)
            .key("sources")
            .begin_array();
        for (const auto& s : leg.sources) out.value(s.to_string());
        out.end_array().key("blocked").begin_array();
        for (const auto& s : leg.blocked) out.value(s.to_string());
        out.end_array().end_object();
      }
      out.end_array()
          .field("redundancy", plan.redundant ? "st2022-7" : "none")
          .field("ts_refclk", d.ts_refclk)
          .field("mediaclk", d.mediaclk)
          .field("caps", d.caps)
          .field("launch", launch)
          .end_object();
      std::printf("%s\n", out.str().c_str());
      return kExitOk;
    }
    std::printf("session  %s\n", d.session_name.c_str());
    std::printf("origin   %s\n", d.origin.c_str());
    std::printf("media    %s, payload type %d, %s at %d Hz%s\n", d.media.c_str(), d.payload_type, d.encoding.c_str(),
                d.clock_rate, d.ptime.empty() ? "" : (", packet time " + d.ptime + " ms").c_str());
    for (size_t i = 0; i < d.legs.size(); ++i) {
      const DescribedLeg& leg = d.legs[i];
      std::string senders = leg.sources.empty() ? "any sender" : "only from " + list_text(leg.sources);
      if (!leg.blocked.empty()) senders += ", never from " + list_text(leg.blocked);
      std::printf("leg %zu    %s port %u%s%s, %s\n", i + 1, leg.group.to_string().c_str(), leg.port,
                  leg.ttl > 0 ? (" ttl " + std::to_string(leg.ttl)).c_str() : "",
                  leg.mid.empty() ? "" : (" (mid " + leg.mid + ")").c_str(), senders.c_str());
    }
    if (plan.redundant) std::printf("         the legs are one stream: merged as redundancy=st2022-7 does\n");
    std::printf("clock    %s\n", d.ts_refclk.empty()
                                     ? "not given (no a=ts-refclk)"
                                     : (d.ts_refclk + (d.mediaclk.empty() ? "" : ", " + d.mediaclk)).c_str());
    std::printf("caps     %s\n", d.caps.c_str());
    std::printf("\nReceive it with:\n  %s\n", launch.c_str());
    return kExitOk;
  } catch (const Error& e) {
    if (json) {
      JsonWriter out;
      out.begin_object().field("file", path).field("error", e.what()).field("fix", e.hint()).end_object();
      std::printf("%s\n", out.str().c_str());
    }
    print_error("sdp", e);
    return kExitNo;
  }
}

}  // namespace

const Command kSdpCommand{kSpec, run};

}  // namespace mcastexpert::tool
