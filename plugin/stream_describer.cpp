#include "stream_describer.h"

#include <cinttypes>
#include <cstdio>

#include "error.hpp"

namespace mcastexpert::plugin {

namespace {

// An NTP-style session id (RFC 8866 suggests one): seconds now, unique enough for one host's senders.
std::string new_session_id() {
  return std::to_string(static_cast<uint64_t>(g_get_real_time() / G_USEC_PER_SEC) + 2208988800u) +
         std::to_string(g_random_int_range(100, 999));
}

// "1", "0.125", "0.333": the packet time in ms, as AES67 and ST 2110-30 write it.
std::string ptime_text(unsigned samples, int clock_rate) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", 1000.0 * samples / clock_rate);
  std::string t = text;
  while (!t.empty() && t.back() == '0') t.pop_back();
  if (!t.empty() && t.back() == '.') t.pop_back();
  return t;
}

}  // namespace

StreamDescriber::StreamDescriber() : session_id_(new_session_id()) {}

void StreamDescriber::set_caps(const GstCaps* caps) {
  std::lock_guard<std::mutex> lock(lock_);
  caps_.clear();
  audio_ = false;
  clock_rate_ = 0;
  wants_ = Wants::Nothing;
  if (caps == nullptr || gst_caps_get_size(caps) == 0) return;
  gchar* text = gst_caps_to_string(caps);
  caps_ = text;
  g_free(text);
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  const gchar* media = gst_structure_get_string(s, "media");
  audio_ = media != nullptr && g_str_equal(media, "audio");
  gst_structure_get_int(s, "clock-rate", &clock_rate_);
  if (clock_rate_ > 0 && gst_structure_has_name(s, "application/x-rtp"))
    wants_ = audio_ ? Wants::EveryPacket : Wants::Sample;
}

bool StreamDescriber::measure(GstBuffer* packet, GstClockTime running_time, GstClockTime base_time) {
  guint8 head[12];
  if (gst_buffer_extract(packet, 0, head, sizeof head) != sizeof head || (head[0] >> 6) != 2) return false;
  const uint32_t timestamp = (uint32_t{head[4]} << 24) | (uint32_t{head[5]} << 16) | (uint32_t{head[6]} << 8) | head[7];
  const uint32_t ssrc = (uint32_t{head[8]} << 24) | (uint32_t{head[9]} << 16) | (uint32_t{head[10]} << 8) | head[11];
  std::lock_guard<std::mutex> lock(lock_);
  if (clock_rate_ <= 0) return false;
  bool changed = false;
  // RFC 7273 direct: RTP timestamp = media clock (the reference clock's time × rate, mod 2^32) + offset. The
  // clock's time of this packet is its running time plus the base time; what the payloader made of it is in the
  // header. Taken anew only when it moves by more than the rounding of one sample.
  if (GST_CLOCK_TIME_IS_VALID(running_time) && GST_CLOCK_TIME_IS_VALID(base_time)) {
    const uint64_t clock_samples =
        gst_util_uint64_scale(running_time + base_time, static_cast<guint64>(clock_rate_), GST_SECOND);
    const auto direct = static_cast<uint32_t>(timestamp - static_cast<uint32_t>(clock_samples));
    const auto moved = mediaclk_direct_ ? static_cast<int32_t>(direct - *mediaclk_direct_) : 0;
    if (!mediaclk_direct_ || moved > 1 || moved < -1) {
      mediaclk_direct_ = direct;
      changed = true;
    }
  }
  // Audio: the samples each packet carries, from the step between consecutive packets' timestamps, taken when the
  // same step is seen twice in a row (a lost or reordered packet shows once).
  if (audio_) {
    if (ssrc == last_ssrc_ && last_timestamp_) {
      const uint32_t step = timestamp - *last_timestamp_;
      if (step > 0 && step < static_cast<uint32_t>(clock_rate_)) {
        if (step == candidate_samples_ && step != samples_per_packet_) {
          samples_per_packet_ = step;
          changed = true;
        }
        candidate_samples_ = step;
      }
    }
    last_ssrc_ = ssrc;
    last_timestamp_ = timestamp;
  }
  return changed;
}

std::optional<std::string> StreamDescriber::describe(const std::vector<SentLeg>& legs, const std::string& session_name,
                                                     const std::optional<PtpReference>& ptp) {
  std::lock_guard<std::mutex> lock(lock_);
  std::string text;
  std::string why;
  if (caps_.empty()) {
    why = "no caps yet";
  } else if (legs.empty()) {
    why = "no destination";
  } else {
    SentStream s;
    s.session_name = session_name;
    s.session_id = session_id_;
    s.version = version_;
    s.origin = legs.front().sources.empty() ? legs.front().group : legs.front().sources.front();
    s.legs = legs;
    s.caps = caps_;
    if (audio_ && samples_per_packet_ > 0) {
      s.ptime = ptime_text(samples_per_packet_, clock_rate_);
      s.framecount = samples_per_packet_;
    }
    if (ptp && ptp->grandmaster != 0) {
      s.ptp = ptp;
      s.mediaclk_direct = mediaclk_direct_;
    }
    try {
      text = write_sdp(s);
      if (text != text_ && !text_.empty()) {
        // Something in it changed: the same session, one version on.
        s.version = ++version_;
        text = write_sdp(s);
      }
    } catch (const Error& e) {
      why = e.full();
      text.clear();
    }
  }
  why_none_ = why;
  if (text == text_) return std::nullopt;
  text_ = text;
  return text_;
}

std::string StreamDescriber::text() const {
  std::lock_guard<std::mutex> lock(lock_);
  return text_;
}

std::string StreamDescriber::why_none() const {
  std::lock_guard<std::mutex> lock(lock_);
  return why_none_;
}

void StreamDescriber::stop() {
  std::lock_guard<std::mutex> lock(lock_);
  last_timestamp_.reset();
  candidate_samples_ = 0;
  samples_per_packet_ = 0;
  mediaclk_direct_.reset();
  if (!text_.empty()) ++version_;  // the next description is a new version of this session
  text_.clear();
  why_none_ = "not sending";
}

bool write_file_whole(const std::string& path, const std::string& text, std::string& error) {
  GError* err = nullptr;
  // g_file_set_contents writes a temporary file beside it and renames it over the old one.
  if (g_file_set_contents(path.c_str(), text.data(), static_cast<gssize>(text.size()), &err)) return true;
  error = err->message;
  g_error_free(err);
  return false;
}

}  // namespace mcastexpert::plugin
