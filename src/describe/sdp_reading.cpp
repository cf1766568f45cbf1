#include "sdp_reading.hpp"

#include <gst/gst.h>
#include <gst/sdp/gstsdpmessage.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <sstream>

#include "error.hpp"

namespace mcastexpert {

namespace {

// The SDP's lines with their numbers, by where they stand (the session part, then one part per m=), so that an
// error can quote the line at fault: GStreamer's parser keeps what it understood and drops the rest silently.
struct SdpLines {
  struct Line {
    size_t number = 0;  // from 1
    std::string text;
  };
  std::vector<Line> session;
  std::vector<std::vector<Line>> media;  // each starts with its m= line

  // The first line of `part` starting with `prefix`, or nullptr.
  static const Line* find(const std::vector<Line>& part, std::string_view prefix) {
    for (const auto& l : part)
      if (l.text.compare(0, prefix.size(), prefix) == 0) return &l;
    return nullptr;
  }
};

std::string quoted(const SdpLines::Line& line) {
  const std::string text = line.text.size() > 80 ? line.text.substr(0, 77) + "..." : line.text;
  return "line " + std::to_string(line.number) + " ('" + text + "')";
}

[[noreturn]] void bad_line(const SdpLines::Line& line, const std::string& why, std::string fix) {
  throw Error(ErrorKind::InvalidSetting, quoted(line) + " " + why, std::move(fix));
}

[[noreturn]] void bad_sdp(const std::string& why, std::string fix) {
  throw Error(ErrorKind::InvalidSetting, why, std::move(fix));
}

// Splits the text into numbered lines and checks each is "x=value": the shape RFC 8866 gives every line.
SdpLines scan_lines(std::string_view text) {
  SdpLines lines;
  size_t number = 0;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    std::string line(text.substr(start, end - start));
    start = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (start > text.size()) break;
      continue;
    }
    const SdpLines::Line l{number, line};
    const bool shaped = line.size() >= 2 && line[1] == '=' && std::islower(static_cast<unsigned char>(line[0]));
    const bool printable = std::none_of(line.begin(), line.end(),
                                        [](char c) { return static_cast<unsigned char>(c) < 0x20 && c != '\t'; });
    if (!shaped || !printable)
      bad_line(l, "is not an SDP line",
               "every line of an SDP is a letter, '=' and a value (v=0, c=IN IP4 239.1.2.3/32)");
    // RFC 8866 text is UTF-8; other bytes would reach the caps (a-<name> fields), which must stay text.
    if (!g_utf8_validate(line.data(), static_cast<gssize>(line.size()), nullptr))
      bad_line({number, line.substr(0, 2) + "..."}, "is not UTF-8 text", "save the SDP as UTF-8");
    if (lines.session.empty() && lines.media.empty() && line != "v=0")
      bad_line(l, "is not 'v=0'", "an SDP starts with the line v=0; is this an SDP file?");
    if (line[0] == 'm')
      lines.media.push_back({l});
    else if (lines.media.empty())
      lines.session.push_back(l);
    else
      lines.media.back().push_back(l);
  }
  if (lines.session.empty()) bad_sdp("is empty", "give the text of an SDP (v=0, o=..., s=..., c=..., t=0 0, m=...)");
  return lines;
}

using MessagePtr = std::unique_ptr<GstSDPMessage, decltype(&gst_sdp_message_free)>;

std::string attribute(const GstSDPMedia* media, const char* key) {
  const gchar* v = gst_sdp_media_get_attribute_val(media, key);
  return v != nullptr ? v : "";
}

std::string session_attribute(const GstSDPMessage* msg, const char* key) {
  const gchar* v = gst_sdp_message_get_attribute_val(msg, key);
  return v != nullptr ? v : "";
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// A description of the media descriptions there are, for an error that says what a selector could name.
std::string media_list(const GstSDPMessage* msg, const SdpLines& lines) {
  std::string out;
  for (guint i = 0; i < gst_sdp_message_medias_len(msg); ++i) {
    const GstSDPMedia* m = gst_sdp_message_get_media(msg, i);
    const std::string mid = attribute(m, "mid");
    out += (out.empty() ? "" : ", ") + std::to_string(i) + ": " + gst_sdp_media_get_media(m) +
           (mid.empty() ? "" : " (mid " + mid + ")") + " at line " + std::to_string(lines.media[i].front().number);
  }
  return out;
}

// Which media description `selector` names.
size_t select_media(const GstSDPMessage* msg, const SdpLines& lines, std::string_view selector) {
  const guint n = gst_sdp_message_medias_len(msg);
  if (selector.empty()) return 0;
  if (std::all_of(selector.begin(), selector.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    const size_t index = std::strtoul(std::string(selector).c_str(), nullptr, 10);
    if (selector.size() < 6 && index < n) return index;
  }
  for (guint i = 0; i < n; ++i)
    if (attribute(gst_sdp_message_get_media(msg, i), "mid") == selector) return i;
  for (guint i = 0; i < n; ++i)
    if (selector == gst_sdp_media_get_media(gst_sdp_message_get_media(msg, i))) return i;
  bad_sdp("has no media description '" + std::string(selector) + "' (by mid, media type or index)",
          "name one of " + media_list(msg, lines));
}

// The media descriptions received together: the chosen one, or every member of the a=group:DUP it is in.
std::vector<size_t> legs_of(const GstSDPMessage* msg, const SdpLines& lines, size_t chosen) {
  const std::string mid = attribute(gst_sdp_message_get_media(msg, chosen), "mid");
  for (guint a = 0; !mid.empty(); ++a) {
    const gchar* group = gst_sdp_message_get_attribute_val_n(msg, "group", a);
    if (group == nullptr) break;
    auto members = words(group);
    if (members.empty() || members.front() != "DUP") continue;
    members.erase(members.begin());
    if (std::find(members.begin(), members.end(), mid) == members.end()) continue;
    const SdpLines::Line* line = SdpLines::find(lines.session, std::string("a=group:") + group);
    std::vector<size_t> legs;
    for (const auto& member : members) {
      size_t found = SIZE_MAX;
      for (guint i = 0; i < gst_sdp_message_medias_len(msg); ++i)
        if (attribute(gst_sdp_message_get_media(msg, i), "mid") == member) found = i;
      if (found == SIZE_MAX) {
        const SdpLines::Line fallback{0, std::string("a=group:") + group};
        bad_line(line != nullptr ? *line : fallback, "names mid '" + member + "', which no media description has",
                 "give each member of the DUP group an m= with a=mid:" + member + ", or take it out of the group");
      }
      legs.push_back(found);
    }
    return legs;
  }
  return {chosen};
}

// The sources an a=source-filter line lists for `group`: (incl?, sources); none when it is for another group.
void read_source_filter(const std::string& value, const IpAddress& group, const SdpLines::Line& line,
                        DescribedLeg& leg) {
  const auto w = words(value);
  if (w.size() < 5 || (w[0] != "incl" && w[0] != "excl") || w[1] != "IN")
    bad_line(line, "is not a source filter RFC 4570 reads",
             "write a=source-filter: incl IN IP4 <group> <sender address>...");
  if (w[3] != "*") {
    const auto dest = IpAddress::parse(w[3]);
    if (!dest || !dest->same_address(group)) return;  // another group's filter
  }
  for (size_t i = 4; i < w.size(); ++i) {
    const auto source = IpAddress::parse(w[i]);
    if (!source || source->is_multicast())
      bad_line(line, "lists '" + w[i] + "', which is not a sender's address", "list the senders' unicast addresses");
    (w[0] == "incl" ? leg.sources : leg.blocked).push_back(*source);
  }
}

DescribedLeg read_leg(const GstSDPMessage* msg, const SdpLines& lines, size_t index) {
  const GstSDPMedia* media = gst_sdp_message_get_media(msg, static_cast<guint>(index));
  const auto& part = lines.media[index];
  const SdpLines::Line& mline = part.front();
  DescribedLeg leg;
  leg.media_index = index;
  leg.mid = attribute(media, "mid");
  // "m=<media> <port>[/<count>] <proto> <fmt>...": the port is the second word, digits (the library reads a missing
  // one as 0 and shifts the rest).
  const auto mwords = words(mline.text.substr(2));
  const guint port = gst_sdp_media_get_port(media);
  if (mwords.size() < 2 || !std::isdigit(static_cast<unsigned char>(mwords[1][0])) || port == 0 || port > 65535)
    bad_line(mline, "has no port", "write the media's port after its type: m=audio 5004 RTP/AVP 98");
  leg.port = static_cast<uint16_t>(port);
  const std::string proto = gst_sdp_media_get_proto(media) != nullptr ? gst_sdp_media_get_proto(media) : "";
  if (proto != "RTP/AVP" && proto != "RTP/AVPF")
    bad_line(mline, "has transport '" + proto + "', not RTP over UDP (RTP/AVP)",
             "mcastexpertsrc receives RTP/AVP from an SDP; for a stream straight over UDP set groups and port "
             "instead of sdp");
  if (gst_sdp_media_formats_len(media) == 0)
    bad_line(mline, "has no payload type", "end the m= line with the RTP payload type: m=audio 5004 RTP/AVP 98");

  const GstSDPConnection* conn = gst_sdp_media_connections_len(media) > 0 ? gst_sdp_media_get_connection(media, 0)
                                                                          : gst_sdp_message_get_connection(msg);
  const SdpLines::Line* cline = SdpLines::find(part, "c=");
  if (cline == nullptr) cline = SdpLines::find(lines.session, "c=");
  if (conn == nullptr || conn->address == nullptr || cline == nullptr)
    bad_line(mline, "has no connection line (c=), in its media description or the session's",
             "add c=IN IP4 <group>/<ttl> (or c=IN IP6 <group>)");
  const auto group = IpAddress::parse(conn->address);
  if (!group) bad_line(*cline, "does not give an IP address", "write c=IN IP4 239.1.2.3/32 or c=IN IP6 ff15::1");
  if (!group->is_multicast())
    bad_line(*cline, "gives " + group->to_string() + ", which is not a multicast group",
             "mcastexpertsrc receives multicast; for a unicast stream use udpsrc");
  const std::string addrtype = conn->addrtype != nullptr ? conn->addrtype : "";
  if ((addrtype == "IP4") != group->is_v4())
    bad_line(*cline, "says " + addrtype + " for a " + family_name(group->family()) + " address",
             std::string("write IN ") + (group->is_v4() ? "IP4" : "IP6") + " before it");
  leg.group = *group;
  leg.ttl = group->is_v4() && conn->ttl > 0 ? static_cast<int>(conn->ttl) : -1;

  // Media-level filters win; the session's apply to media without any.
  bool media_filter = false;
  for (const auto& l : part)
    if (l.text.rfind("a=source-filter:", 0) == 0) {
      media_filter = true;
      read_source_filter(l.text.substr(16), leg.group, l, leg);
    }
  if (!media_filter)
    for (const auto& l : lines.session)
      if (l.text.rfind("a=source-filter:", 0) == 0) read_source_filter(l.text.substr(16), leg.group, l, leg);
  return leg;
}

}  // namespace

std::string read_sdp_file(const std::string& path) {
  gchar* contents = nullptr;
  gsize length = 0;
  GError* error = nullptr;
  if (!g_file_get_contents(path.c_str(), &contents, &length, &error)) {
    Error e(ErrorKind::NotFound, "'" + path + "' cannot be read: " + error->message,
            "give the path of a readable SDP file (an FFmpeg -sdp_file, a device's .sdp)");
    g_error_free(error);
    throw e;
  }
  std::string text(contents, length);
  g_free(contents);
  if (text.empty()) bad_sdp("'" + path + "' is an empty file", "give the path of the stream's SDP file");
  if (text.size() > kMaxSdpBytes)
    bad_sdp("'" + path + "' is " + std::to_string(text.size()) + " bytes, more than an SDP holds",
            "give the stream's SDP: a few lines of text");
  return text;
}

StreamDescription read_sdp(std::string_view text, std::string_view selector) {
  if (text.size() > kMaxSdpBytes)
    bad_sdp("is " + std::to_string(text.size()) + " bytes, more than an SDP holds (at most " +
                std::to_string(kMaxSdpBytes) + ")",
            "give the stream's SDP: a few lines of text");
  const SdpLines lines = scan_lines(text);
  GstSDPMessage* raw = nullptr;
  gst_sdp_message_new(&raw);
  MessagePtr msg(raw, gst_sdp_message_free);
  if (gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(text.data()), static_cast<guint>(text.size()),
                                   msg.get()) != GST_SDP_OK)
    bad_sdp("cannot be read as an SDP", "check it against RFC 8866");
  if (gst_sdp_message_medias_len(msg.get()) == 0 || lines.media.size() != gst_sdp_message_medias_len(msg.get()))
    bad_sdp("describes no media (no m= line)", "add the stream's m= line, e.g. m=audio 5004 RTP/AVP 98");

  StreamDescription d;
  d.session_name =
      gst_sdp_message_get_session_name(msg.get()) != nullptr ? gst_sdp_message_get_session_name(msg.get()) : "";
  if (const GstSDPOrigin* o = gst_sdp_message_get_origin(msg.get()); o != nullptr && o->addr != nullptr)
    d.origin = std::string(o->username != nullptr ? o->username : "-") + " " +
               (o->sess_id != nullptr ? o->sess_id : "") + " " + (o->sess_version != nullptr ? o->sess_version : "") +
               " IN " + (o->addrtype != nullptr ? o->addrtype : "") + " " + o->addr;

  const size_t chosen = select_media(msg.get(), lines, selector);
  for (const size_t i : legs_of(msg.get(), lines, chosen)) d.legs.push_back(read_leg(msg.get(), lines, i));
  for (const auto& leg : d.legs)
    if (leg.group.family() != d.legs.front().group.family())
      bad_line(lines.media[leg.media_index].front(),
               "is " + std::string(family_name(leg.group.family())) + " but the leg before it is " +
                   family_name(d.legs.front().group.family()),
               "give every leg of the stream groups of one family");

  const GstSDPMedia* media = gst_sdp_message_get_media(msg.get(), static_cast<guint>(chosen));
  d.media = gst_sdp_media_get_media(media) != nullptr ? gst_sdp_media_get_media(media) : "";
  d.payload_type = std::atoi(gst_sdp_media_get_format(media, 0));
  // The caps as sdpdemux makes them: the media's rtpmap and fmtp, then every attribute of the session and of the
  // media as an a-<name> field (which rtpjitterbuffer's RFC 7273 sync reads: a-ts-refclk, a-mediaclk).
  GstCaps* caps = gst_sdp_media_get_caps_from_media(media, d.payload_type);
  if (caps == nullptr)
    bad_line(lines.media[chosen].front(),
             "has payload type " + std::to_string(d.payload_type) + " without an a=rtpmap line for it",
             "add a=rtpmap:" + std::to_string(d.payload_type) + " <encoding>/<clock rate>[/<channels>]");
  gst_structure_set_name(gst_caps_get_structure(caps, 0), "application/x-rtp");
  gst_sdp_message_attributes_to_caps(msg.get(), caps);
  gst_sdp_media_attributes_to_caps(media, caps);
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  if (const gchar* enc = gst_structure_get_string(s, "encoding-name")) d.encoding = enc;
  gst_structure_get_int(s, "clock-rate", &d.clock_rate);
  gchar* caps_text = gst_caps_to_string(caps);
  d.caps = caps_text;
  g_free(caps_text);
  gst_caps_unref(caps);
  // An fmtp parameter or attribute name GStreamer cannot hold as a caps field ("a;b", "x^") makes caps that do not
  // read back: refused, rather than handed downstream half-understood.
  if (GstCaps* back = gst_caps_from_string(d.caps.c_str()))
    gst_caps_unref(back);
  else
    bad_line(lines.media[chosen].front(),
             "has a=fmtp parameters or attributes that make no valid caps (" +
                 (d.caps.size() > 120 ? d.caps.substr(0, 117) + "..." : d.caps) + ")",
             "write fmtp parameters as name=value; pairs with names of letters, digits and - _ .");

  auto either = [&](const char* key) {
    const std::string v = attribute(media, key);
    return v.empty() ? session_attribute(msg.get(), key) : v;
  };
  d.ts_refclk = either("ts-refclk");
  d.mediaclk = either("mediaclk");
  d.ptime = attribute(media, "ptime");
  return d;
}

}  // namespace mcastexpert
