#include "frame_timing.hpp"

#include <algorithm>

namespace mcastexpert {

namespace {
constexpr int64_t kLongestFrameNs = 1000000000;  // a longer gap is a pause or a jump, not a frame's time

int64_t share(int64_t period, size_t part, size_t whole) {
  return static_cast<int64_t>(static_cast<long double>(period) * part / whole);
}
}  // namespace

int64_t FrameTiming::spread_of(int64_t pts_ns, int64_t duration_ns, size_t count, int64_t fallback_period_ns) {
  if (count == 0) return 0;
  if (pts_ns >= 0 && pts_ns == frame_pts_) {
    // Another chunk of the current frame: its share of the frame's time, the frame's size taken from the previous
    // frame (or from what came so far, when this one is larger).
    frame_count_ += count;
    ++frame_batches_;
    if (period_ <= 0) return 0;
    return share(period_, count, std::max(previous_count_, frame_count_));
  }
  int64_t gap = 0;
  if (pts_ns >= 0 && frame_pts_ >= 0 && pts_ns > frame_pts_ && pts_ns - frame_pts_ < kLongestFrameNs)
    gap = pts_ns - frame_pts_;
  period_ = duration_ns > 0 ? duration_ns : gap > 0 ? gap : fallback_period_ns;
  previous_count_ = frame_batches_ > 1 ? frame_count_ : 0;
  frame_pts_ = pts_ns;
  frame_count_ = count;
  frame_batches_ = 1;
  if (period_ <= 0) return 0;
  // A frame in one batch takes the whole time; the first chunk of a chunked one, its share.
  return previous_count_ > count ? share(period_, count, previous_count_) : period_;
}

}  // namespace mcastexpert
