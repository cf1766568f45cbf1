// What mcastexpertsink says about the stream it sends: its SDP, kept current. The element hands over what changes
// it — the negotiated caps, the running destinations with the addresses they leave from, the session name, the
// pipeline clock's PTP grandmaster — and the RTP packets it sends, from which the packet time (a=ptime,
// a=framecount) and the media clock offset (a=mediaclk:direct) are measured rather than assumed. The text is
// rebuilt only when something in it changed, with the o= version one higher each time and the session id the same
// for the element's life.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sdp_writing.hpp"

namespace mcastexpert::plugin {

class StreamDescriber {
 public:
  StreamDescriber();

  // The negotiated caps (the streaming thread, at set_caps); nullptr forgets them.
  void set_caps(const GstCaps* caps);

  // One RTP packet about to be sent, with its running time (NONE if unknown) and the element's base time: measures
  // the samples per packet (audio) and the RTP timestamp's offset from the clock (RFC 7273 direct). True when a
  // measured value changed, so the description is due again. Cheap: a few header bytes.
  bool measure(GstBuffer* packet, GstClockTime running_time, GstClockTime base_time);

  // What the element knows besides: the destinations (legs) with their sources, the session name, the PTP reference
  // (nullopt: the clock is not PTP). Returns the new text when it differs from the last one ("" when there is none
  // now: no caps, not RTP, no destination), nullopt when nothing changed.
  std::optional<std::string> describe(const std::vector<SentLeg>& legs, const std::string& session_name,
                                      const std::optional<PtpReference>& ptp);

  // What measure() wants, without a lock (the streaming thread asks for every batch): nothing (no RTP caps),
  // a packet now and then (the media clock offset), or every packet (audio: the packet time too).
  enum class Wants { Nothing, Sample, EveryPacket };
  Wants wants() const { return wants_.load(std::memory_order_relaxed); }
  // The current SDP ("" when there is none).
  std::string text() const;
  // Why there is none, for the log ("" when there is one).
  std::string why_none() const;

  // At stop: the stream is no longer sent. Measurements start afresh; the session id stays, the version goes on.
  void stop();

 private:
  mutable std::mutex lock_;
  std::string caps_;
  bool audio_ = false;
  std::atomic<Wants> wants_{Wants::Nothing};
  int clock_rate_ = 0;
  const std::string session_id_;
  uint64_t version_ = 1;
  std::string text_;
  std::string why_none_ = "no caps yet";

  // Measured on the streaming thread (under lock_ too: describe() reads them from any thread).
  uint32_t last_ssrc_ = 0;
  std::optional<uint32_t> last_timestamp_;
  unsigned samples_per_packet_ = 0;
  unsigned candidate_samples_ = 0;  // seen once: taken when seen again in a row
  std::optional<uint32_t> mediaclk_direct_;
};

// Writes `text` to `path` so that a reader never sees half of it (a temporary file renamed over it). False, with
// `error` set, when it cannot.
bool write_file_whole(const std::string& path, const std::string& text, std::string& error);

}  // namespace mcastexpert::plugin
