#include "send_batch.h"

#include <algorithm>

namespace mcastexpert::plugin {

namespace {

void raise_to(std::atomic<uint64_t>& value, uint64_t candidate) {
  uint64_t seen = value.load(std::memory_order_relaxed);
  while (candidate > seen && !value.compare_exchange_weak(seen, candidate, std::memory_order_relaxed)) {
  }
}

// Later than this is more than a late wake-up: the rest of the batch is planned again.
constexpr int64_t kCatchUpAfterNs = 150000;  // 150 µs

}  // namespace

void SendMeasures::count_burst(size_t datagrams) {
  raise_to(largest_burst, datagrams);
}

void SendMeasures::count_late(int64_t late_ns) {
  raise_to(late_max, static_cast<uint64_t>(late_ns));
  late_sum.fetch_add(static_cast<uint64_t>(late_ns), std::memory_order_relaxed);
  late_bursts.fetch_add(1, std::memory_order_relaxed);
}

bool DatagramBatch::add(GstBuffer* buffer, size_t max_datagram) {
  const size_t size = gst_buffer_get_size(buffer);
  if (size > max_datagram) return false;
  Datagram d;
  d.length = size;
  first_iovec_.push_back(iovecs_.size());
  const guint n = gst_buffer_n_memory(buffer);
  for (guint i = 0; i < n; ++i) {
    GstMemory* mem = gst_buffer_peek_memory(buffer, i);
    GstMapInfo map;
    if (!gst_memory_map(mem, &map, GST_MAP_READ)) continue;
    maps_.push_back(map);
    mapped_.push_back(mem);
    iovecs_.push_back({map.data, map.size});
    ++d.iovcnt;
  }
  datagrams_.push_back(d);
  return true;
}

Datagram* DatagramBatch::datagrams() {
  for (size_t i = 0; i < datagrams_.size(); ++i) datagrams_[i].iov = iovecs_.data() + first_iovec_[i];
  return datagrams_.data();
}

uint64_t DatagramBatch::bytes() const {
  uint64_t total = 0;
  for (const auto& d : datagrams_) total += d.length;
  return total;
}

void DatagramBatch::clear() {
  for (size_t i = 0; i < maps_.size(); ++i) gst_memory_unmap(mapped_[i], &maps_[i]);
  maps_.clear();
  mapped_.clear();
  iovecs_.clear();
  datagrams_.clear();
  first_iovec_.clear();
}

double PacedSend::achieved_mbps() const {
  const double took = static_cast<double>(std::max<int64_t>(took_ns, 1)) / 1e9;
  return static_cast<double>(bytes) * 8 / took / 1e6;
}

double PacedSend::wanted_mbps() const {
  const double asked = static_cast<double>(planned_ns) / 1e9;
  return asked > 0 ? static_cast<double>(bytes) * 8 / asked / 1e6 : 0;
}

PacedSend send_paced(DatagramBatch& batch, int64_t duration_ns, PacingSchedule& schedule, PreciseWaiter& waiter,
                     const Waker& stop, SendMeasures& measures, const SendFunction& send) {
  lower_timer_slack();
  Datagram* datagrams = batch.datagrams();
  std::vector<size_t> sizes(batch.size());
  PacedSend result;
  for (size_t i = 0; i < batch.size(); ++i) result.bytes += sizes[i] = datagrams[i].length;
  schedule.plan(sizes.data(), sizes.size(), duration_ns, monotonic_ns());
  const int64_t first_due = schedule.size() > 0 ? schedule.due_ns(0) : 0;
  result.planned_ns = schedule.busy_until_ns() - first_due;
  SendOutcome& total = result.outcome;
  for (size_t i = 0; i < schedule.size();) {
    if (!waiter.wait_until(schedule.due_ns(i), stop)) {
      total.interrupted = true;
      break;
    }
    const int64_t now = monotonic_ns();
    const int64_t late = std::max<int64_t>(0, now - schedule.due_ns(i));
    if (late > kCatchUpAfterNs) schedule.catch_up(i, now, kBehindWarningNs);
    const Burst b = schedule.burst_at(i);
    result.worst_late_ns = std::max(result.worst_late_ns, late);
    measures.count_late(late);
    measures.count_burst(b.count);
    const SendOutcome o = send(datagrams + b.first, b.count);
    total.sent += o.sent;
    total.failed += o.failed;
    i += b.count;
    if (o.interrupted) {
      total.interrupted = true;
      break;
    }
  }
  // A flush or a stop: the rest of the batch is dropped, and what follows starts afresh.
  if (total.interrupted) schedule.reset();
  result.took_ns = monotonic_ns() - first_due;
  return result;
}

void RateMeter::add(uint64_t bytes, int64_t batch_start_ns, int64_t now_ns, std::atomic<uint64_t>& rate) {
  if (window_start_ == 0) window_start_ = batch_start_ns;
  window_bytes_ += bytes;
  const int64_t elapsed = now_ns - window_start_;
  if (elapsed < 1000000000) return;
  rate.store(static_cast<uint64_t>(static_cast<long double>(window_bytes_) * 8 * 1000000000 / elapsed),
             std::memory_order_relaxed);
  window_start_ = now_ns;
  window_bytes_ = 0;
}

FailureWatch::Report FailureWatch::after_batch(bool failed, int64_t now_us, uint64_t error_timeout_ns) {
  if (!failed) {
    failing_for_us_ = failing_since_us_ != 0 ? now_us - failing_since_us_ : 0;
    const bool was_warned = warned_;
    failing_since_us_ = 0;
    warned_ = false;
    return was_warned ? Report::SendingAgain : Report::None;
  }
  if (failing_since_us_ == 0) failing_since_us_ = now_us;
  failing_for_us_ = now_us - failing_since_us_;
  if (error_timeout_ns > 0 && static_cast<uint64_t>(failing_for_us_) * 1000 >= error_timeout_ns) return Report::GiveUp;
  if (failing_for_us_ >= kPersistentUs && !warned_) {
    warned_ = true;
    return Report::NothingSentForASecond;
  }
  return Report::None;
}

std::string describe_send_failure(const SendFailure& f) {
  std::string text = "Sending to " + f.destination.to_string() + " by " + f.ifname + " failed: " + g_strerror(f.error);
  if (f.source_gone)
    text += " (its source address " + f.source.to_string() + " is no longer on " + f.ifname +
            ": it moves to the interface's new address when one appears)";
  return text;
}

}  // namespace mcastexpert::plugin
