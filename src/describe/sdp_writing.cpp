#include "sdp_writing.hpp"

#include <gst/gst.h>
#include <gst/sdp/gstsdpmessage.h>

#include <cstdio>
#include <memory>

#include "error.hpp"

namespace mcastexpert {

namespace {

using MessagePtr = std::unique_ptr<GstSDPMessage, decltype(&gst_sdp_message_free)>;
using MediaPtr = std::unique_ptr<GstSDPMedia, decltype(&gst_sdp_media_free)>;
using CapsPtr = std::unique_ptr<GstCaps, decltype(&gst_caps_unref)>;

const char* addrtype(const IpAddress& a) {
  return a.is_v4() ? "IP4" : "IP6";
}

// The caps' media description as GStreamer maps it (m= type, payload type, a=rtpmap, a=fmtp, a-<name> fields as
// attributes). Throws when the caps are not RTP.
MediaPtr media_from_caps(const std::string& caps_text) {
  CapsPtr caps(gst_caps_from_string(caps_text.c_str()), gst_caps_unref);
  const GstStructure* s = caps && gst_caps_get_size(caps.get()) > 0 ? gst_caps_get_structure(caps.get(), 0) : nullptr;
  int pt = -1;
  if (s == nullptr || !gst_structure_has_name(s, "application/x-rtp") || !gst_structure_get_int(s, "payload", &pt) ||
      gst_structure_get_string(s, "media") == nullptr || gst_structure_get_string(s, "encoding-name") == nullptr)
    throw Error(ErrorKind::InvalidSetting,
                "the stream is not RTP (caps " + caps_text.substr(0, 120) + "), which an SDP cannot describe",
                "send RTP (a payloader such as rtpL24pay, rtpvrawpay, rtph264pay, rtpmp2tpay before the sink)");
  GstSDPMedia* raw = nullptr;
  gst_sdp_media_new(&raw);
  MediaPtr media(raw, gst_sdp_media_free);
  if (gst_sdp_media_set_media_from_caps(caps.get(), media.get()) != GST_SDP_OK)
    throw Error(ErrorKind::InvalidSetting, "GStreamer cannot describe caps " + caps_text.substr(0, 120),
                "send RTP with caps a payloader makes");
  return media;
}

std::string attribute_value(const GstSDPMedia* m, const char* key) {
  const gchar* v = gst_sdp_media_get_attribute_val(m, key);
  return v != nullptr ? v : "";
}

// Whether the attribute `key` is one this writer places itself (so one from the caps is not written twice).
bool placed_here(const std::string& key) {
  for (const char* k : {"rtpmap", "fmtp", "recvonly", "sendonly", "sendrecv", "inactive", "source-filter", "ptime",
                        "framecount", "ts-refclk", "mediaclk", "mid", "group"})
    if (key == k) return true;
  return false;
}

}  // namespace

std::string eui64_text(uint64_t id) {
  char text[24];
  std::snprintf(text, sizeof text, "%02X-%02X-%02X-%02X-%02X-%02X-%02X-%02X", static_cast<unsigned>(id >> 56 & 0xff),
                static_cast<unsigned>(id >> 48 & 0xff), static_cast<unsigned>(id >> 40 & 0xff),
                static_cast<unsigned>(id >> 32 & 0xff), static_cast<unsigned>(id >> 24 & 0xff),
                static_cast<unsigned>(id >> 16 & 0xff), static_cast<unsigned>(id >> 8 & 0xff),
                static_cast<unsigned>(id & 0xff));
  return text;
}

std::string write_sdp(const SentStream& stream) {
  const MediaPtr from_caps = media_from_caps(stream.caps);
  GstSDPMessage* raw = nullptr;
  gst_sdp_message_new(&raw);
  MessagePtr msg(raw, gst_sdp_message_free);
  gst_sdp_message_set_version(msg.get(), "0");
  gst_sdp_message_set_origin(msg.get(), "-", stream.session_id.c_str(), std::to_string(stream.version).c_str(), "IN",
                             addrtype(stream.origin), stream.origin.to_string().c_str());
  gst_sdp_message_set_session_name(msg.get(), stream.session_name.c_str());
  const bool several = stream.legs.size() > 1;
  auto connection_of = [](const SentLeg& leg) {
    return std::make_pair(leg.group.to_string(), leg.group.is_v4() ? static_cast<guint>(leg.ttl) : 0u);
  };
  if (!several && !stream.legs.empty()) {
    const auto [address, ttl] = connection_of(stream.legs.front());
    gst_sdp_message_set_connection(msg.get(), "IN", addrtype(stream.legs.front().group), address.c_str(), ttl, 0);
  }
  gst_sdp_message_add_time(msg.get(), "0", "0", nullptr);
  std::string group = "DUP";
  for (size_t i = 0; several && i < stream.legs.size(); ++i) group += " leg" + std::to_string(i + 1);
  if (several) gst_sdp_message_add_attribute(msg.get(), "group", group.c_str());

  const std::string format = gst_sdp_media_get_format(from_caps.get(), 0);
  for (size_t i = 0; i < stream.legs.size(); ++i) {
    const SentLeg& leg = stream.legs[i];
    // On the stack: add_media takes over its contents.
    GstSDPMedia leg_media{};
    gst_sdp_media_init(&leg_media);
    GstSDPMedia* media = &leg_media;
    gst_sdp_media_set_media(media, gst_sdp_media_get_media(from_caps.get()));
    gst_sdp_media_set_port_info(media, leg.port, 1);
    gst_sdp_media_set_proto(media, "RTP/AVP");
    gst_sdp_media_add_format(media, format.c_str());
    if (several) {
      const auto [address, ttl] = connection_of(leg);
      gst_sdp_media_add_connection(media, "IN", addrtype(leg.group), address.c_str(), ttl, 0);
    }
    gst_sdp_media_add_attribute(media, "recvonly", "");
    gst_sdp_media_add_attribute(media, "rtpmap", attribute_value(from_caps.get(), "rtpmap").c_str());
    if (const std::string fmtp = attribute_value(from_caps.get(), "fmtp"); !fmtp.empty())
      gst_sdp_media_add_attribute(media, "fmtp", fmtp.c_str());
    if (!leg.sources.empty()) {
      std::string filter = std::string("incl IN ") + addrtype(leg.group) + " " + leg.group.to_string();
      for (const auto& s : leg.sources) filter += " " + s.to_string();
      gst_sdp_media_add_attribute(media, "source-filter", (" " + filter).c_str());
    }
    if (!stream.ptime.empty()) gst_sdp_media_add_attribute(media, "ptime", stream.ptime.c_str());
    if (stream.framecount > 0)
      gst_sdp_media_add_attribute(media, "framecount", std::to_string(stream.framecount).c_str());
    if (stream.ptp) {
      const std::string refclk =
          "ptp=IEEE1588-2008:" + eui64_text(stream.ptp->grandmaster) + ":" + std::to_string(stream.ptp->domain);
      gst_sdp_media_add_attribute(media, "ts-refclk", refclk.c_str());
      if (stream.mediaclk_direct)
        gst_sdp_media_add_attribute(media, "mediaclk", ("direct=" + std::to_string(*stream.mediaclk_direct)).c_str());
    }
    for (guint a = 0; a < gst_sdp_media_attributes_len(from_caps.get()); ++a) {
      const GstSDPAttribute* attr = gst_sdp_media_get_attribute(from_caps.get(), a);
      if (!placed_here(attr->key)) gst_sdp_media_add_attribute(media, attr->key, attr->value);
    }
    if (several) gst_sdp_media_add_attribute(media, "mid", ("leg" + std::to_string(i + 1)).c_str());
    gst_sdp_message_add_media(msg.get(), media);
  }
  gchar* text = gst_sdp_message_as_text(msg.get());
  std::string out = text;
  g_free(text);
  return out;
}

}  // namespace mcastexpert
