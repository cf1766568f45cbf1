// SDP text (the source's sdp and sdp-file, the tool's sdp command): read_sdp either describes a stream whose every
// leg is a multicast group with a port and caps GStreamer can parse back, or throws Error — never crashes or hangs.
#include <gst/gst.h>
#include <sanitizer/lsan_interface.h>

#include "error.hpp"
#include "fuzz_check.hpp"
#include "sdp_reading.hpp"

using namespace mcastexpert;

// GStreamer and GLib allocate their type system and tables once and keep them to the end (what valgrind's GLib
// suppressions are for): made here with leak checking off, a description read once to make the lazy ones, so that
// every leak found later is one an input caused.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  __lsan_disable();
  gst_init(argc, argv);
  const char warm[] =
      "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=x\r\nt=0 0\r\na=group:DUP a b\r\nm=audio 5004 RTP/AVP 96\r\n"
      "c=IN IP4 239.1.1.1/1\r\na=rtpmap:96 L24/48000/2\r\na=mid:a\r\na=source-filter: incl IN IP4 239.1.1.1 "
      "10.0.0.2\r\n"
      "m=audio 5004 RTP/AVP 96\r\nc=IN IP4 239.1.1.2/1\r\na=rtpmap:96 L24/48000/2\r\na=mid:b\r\n";
  GstCaps* caps = gst_caps_from_string(read_sdp(warm).caps.c_str());
  gst_caps_unref(caps);
  try {
    read_sdp("x");
  } catch (const Error&) {
  }
  __lsan_enable();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::text_of(data, size);
  for (const char* selector : {"", "1", "video", "secondary"}) {
    StreamDescription d;
    try {
      d = read_sdp(text, selector);
    } catch (const Error&) {
      continue;
    }
    fuzz::require(!d.legs.empty(), "a stream without legs", text);
    for (const auto& leg : d.legs)
      fuzz::require(leg.group.is_multicast() && leg.port > 0, "a leg that is not a multicast group and port", text);
    GstCaps* caps = gst_caps_from_string(d.caps.c_str());
    fuzz::require(caps != nullptr, "caps that do not parse back", text + " -> " + d.caps);
    gst_caps_unref(caps);
  }
  return 0;
}
