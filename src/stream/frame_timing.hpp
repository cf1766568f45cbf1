// How long a batch may take to leave with pacing=spread. A payloader hands a video frame over as one buffer list,
// or (rtpvrawpay's chunks-per-frame) as several lists with the frame's timestamp; it sets no duration. A frame's
// time is its buffer's duration, else the gap between frame timestamps, else the caps' framerate; a frame that came
// in several lists is spread at the rate the previous frame needed, chunk after chunk, so that the frame as a whole
// covers its time instead of each chunk taking all of it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mcastexpert {

class FrameTiming {
 public:
  // `pts_ns` and `duration_ns` of the batch's first buffer (-1 = none), `count` datagrams, `fallback_period_ns`
  // one frame of the caps' framerate (0 = none). Returns the ns to spread the batch over; 0 = unknown (at once).
  int64_t spread_of(int64_t pts_ns, int64_t duration_ns, size_t count, int64_t fallback_period_ns);

 private:
  int64_t frame_pts_ = -1;  // the current frame's timestamp
  int64_t period_ = 0;      // its time
  size_t frame_count_ = 0;  // datagrams of it so far
  size_t frame_batches_ = 0;
  size_t previous_count_ = 0;  // datagrams of the frame before, when it came in several batches
};

}  // namespace mcastexpert
