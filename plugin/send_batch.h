// The sink's data path: buffers into a batch of datagrams for the sender, the batch sent at once or paced in
// bursts, and what sending measured and what went wrong, for stats and for the element's messages. The element's
// render() builds a batch and hands it here; the element keeps the messages' wording where GStreamer needs it (on
// the bus), and these pieces say when each is due — reachable by a unit test with hand-made buffer lists and a
// fake send, no network.
#pragma once

#include <gst/gst.h>
#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pacer.hpp"
#include "sender.hpp"
#include "waker.hpp"

namespace mcastexpert::plugin {

// What the streaming thread measures of sending, read by stats from any thread.
struct SendMeasures {
  std::atomic<uint64_t> oversized{0};      // buffers too large for a datagram, left out
  std::atomic<uint64_t> send_rate{0};      // bits/s of payload over the last complete second
  std::atomic<uint64_t> largest_burst{0};  // datagrams sent back to back
  std::atomic<uint64_t> late_max{0};       // ns a paced burst left after it was due, at most
  std::atomic<uint64_t> late_sum{0};       // ... in all, over late_bursts paced bursts
  std::atomic<uint64_t> late_bursts{0};

  void count_burst(size_t datagrams);
  void count_late(int64_t late_ns);
};

// One batch of datagrams, one per buffer: each buffer's memories mapped as its scatter/gather pieces, unmapped by
// clear(). A buffer too large for a UDP datagram is left out.
class DatagramBatch {
 public:
  DatagramBatch() = default;
  ~DatagramBatch() { clear(); }
  DatagramBatch(const DatagramBatch&) = delete;
  DatagramBatch& operator=(const DatagramBatch&) = delete;

  // Adds `buffer` as one datagram; false when it is larger than `max_datagram` bytes and was left out.
  bool add(GstBuffer* buffer, size_t max_datagram);
  // The datagrams, their pieces in place: valid until the next add() or clear().
  Datagram* datagrams();
  size_t size() const { return datagrams_.size(); }
  bool empty() const { return datagrams_.empty(); }
  uint64_t bytes() const;
  void clear();

 private:
  std::vector<iovec> iovecs_;
  std::vector<GstMapInfo> maps_;
  std::vector<GstMemory*> mapped_;
  std::vector<Datagram> datagrams_;
  std::vector<size_t> first_iovec_;  // per datagram: where its pieces start in iovecs_ (which may still grow)
};

// Sends `count` datagrams; the sender's send() in the element, a fake in tests.
using SendFunction = std::function<SendOutcome(const Datagram* datagrams, size_t count)>;

// What one paced batch did.
struct PacedSend {
  SendOutcome outcome;
  int64_t worst_late_ns = 0;  // the latest any burst left after it was due
  int64_t planned_ns = 0;     // what the whole batch was to take
  int64_t took_ns = 0;        // what it took, from its first burst's due time
  uint64_t bytes = 0;

  // Bits per second the batch went out at, and what was asked (0 when the plan had no duration).
  double achieved_mbps() const;
  double wanted_mbps() const;
};

// Later than this, a paced batch is behind: the element warns once that pacing cannot keep up.
constexpr int64_t kBehindWarningNs = 20000000;  // 20 ms

// Sends `batch` in bursts as `schedule` plans them over `duration_ns` (0: as the rate allows, else at once),
// waiting with `waiter` until each is due. A burst late by more than timer jitter has the rest of the batch
// planned again, to catch up a little faster (or, hopelessly behind, from now at the planned pace). Woken by
// `stop`, it ends at once, the rest of the batch dropped and the schedule forgotten (outcome.interrupted).
PacedSend send_paced(DatagramBatch& batch, int64_t duration_ns, PacingSchedule& schedule, PreciseWaiter& waiter,
                     const Waker& stop, SendMeasures& measures, const SendFunction& send);

// Bits of payload per second over the last complete second, for stats.
class RateMeter {
 public:
  // `bytes` of a batch that started at `batch_start_ns` went out by `now_ns`.
  void add(uint64_t bytes, int64_t batch_start_ns, int64_t now_ns, std::atomic<uint64_t>& rate);

 private:
  int64_t window_start_ = 0;
  uint64_t window_bytes_ = 0;
};

// Whether sending as a whole is failing (every send of a batch failed), from one batch to the next, and which
// message is due: a warning once nothing could be sent for a second, an error once for error-timeout (when set),
// an info message when sending works again after the warning.
class FailureWatch {
 public:
  enum class Report { None, SendingAgain, NothingSentForASecond, GiveUp };
  static constexpr int64_t kPersistentUs = 1000000;  // nothing sent for this long is worth a warning

  Report after_batch(bool failed, int64_t now_us, uint64_t error_timeout_ns);
  // How long nothing could be sent, as of the last after_batch() that reported (s).
  double seconds() const { return static_cast<double>(failing_for_us_) / 1e6; }

 private:
  int64_t failing_since_us_ = 0;  // the first batch in a row that sent nothing; 0 when sending works
  int64_t failing_for_us_ = 0;
  bool warned_ = false;  // the "nothing could be sent" warning is out, the "sending again" info not yet
};

// A failed send as its warning says it: the destination, the interface, the error, and when the route's source
// address is gone, that it moves to the interface's new address.
std::string describe_send_failure(const SendFailure& failure);

}  // namespace mcastexpert::plugin
