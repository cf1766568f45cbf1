#include "datagram_buffers.h"

#include <gst/net/gstnetaddressmeta.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "datagram_pool.h"
#include "receive_meta.h"

#define GST_CAT_DEFAULT category_

namespace mcastexpert::plugin {

namespace {

// The metas stay on the pool's buffers (GST_META_FLAG_POOLED) and are rewritten only where a value changed, so a
// steady stream costs no allocation per datagram.
void mark_pooled(GstMeta* meta) {
  GST_META_FLAGS(meta) = static_cast<GstMetaFlags>(GST_META_FLAGS(meta) | GST_META_FLAG_POOLED);
}

void set_receive_meta(const ReceiveNames& names, GstBuffer* buf, const ReceiveSlot& slot) {
  // By API type, not by name: a name look-up takes a global lock and a hash per call.
  static const GType api = gst_meta_get_info(MCASTEXPERT_RECEIVE_META_NAME)->api;
  auto* meta = reinterpret_cast<GstCustomMeta*>(gst_buffer_get_meta(buf, api));
  if (meta == nullptr) {
    meta = gst_buffer_add_custom_meta(buf, MCASTEXPERT_RECEIVE_META_NAME);
    if (meta == nullptr) return;
    mark_pooled(&meta->meta);
  }
  // Fields by quark: the string forms intern the name under a global lock on every call.
  static const GQuark q_group = g_quark_from_static_string("group");
  static const GQuark q_port = g_quark_from_static_string("port");
  static const GQuark q_ifindex = g_quark_from_static_string("ifindex");
  static const GQuark q_ifname = g_quark_from_static_string("ifname");
  GstStructure* s = gst_custom_meta_get_structure(meta);
  const std::string& group = names.groups[slot.group_index];
  const GValue* old_group = gst_structure_id_get_value(s, q_group);
  if (old_group == nullptr || group != g_value_get_string(old_group))
    gst_structure_id_set(s, q_group, G_TYPE_STRING, group.c_str(), nullptr);
  const GValue* old_index = gst_structure_id_get_value(s, q_ifindex);
  if (old_index == nullptr || g_value_get_uint(old_index) != slot.ifindex) {
    const auto it = names.ifnames.find(slot.ifindex);
    gst_structure_id_set(s, q_ifindex, G_TYPE_UINT, slot.ifindex, q_ifname, G_TYPE_STRING,
                         it != names.ifnames.end() ? it->second.c_str() : "", nullptr);
  }
  const GValue* old_port = gst_structure_id_get_value(s, q_port);
  if (old_port == nullptr || g_value_get_uint(old_port) != slot.port)
    gst_structure_id_set(s, q_port, G_TYPE_UINT, static_cast<guint>(slot.port), nullptr);
}

// With redundancy: whether the datagram at [offset, offset + len) of a read goes on — the first copy of an RTP
// packet — or is dropped: a later copy (counted by the merger), or not RTP at all (counted here).
bool passes_merge(const MergeJudge& judge, const ReceiveSlot& slot, size_t offset, size_t len, int64_t now_ns) {
  uint8_t head[12];
  const size_t n = std::min(len, sizeof head);
  slot.copy(offset, n, head);
  const RtpHeader rtp = parse_rtp_header(head, n);
  if (!rtp.valid) {
    judge.not_rtp->fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  return judge.merger->judge(rtp, slot.membership, now_ns) == RtpMerger::Decision::Deliver;
}

bool same_sender(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  const size_t len = a.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  return memcmp(&a, &b, len) == 0;
}

// Whether two datagrams belong to one flow: the same group, port, interface and sender.
bool same_flow(const ReceiveSlot& a, const ReceiveSlot& b) {
  return a.group_index == b.group_index && a.port == b.port && a.ifindex == b.ifindex &&
         same_sender(a.sender, b.sender);
}

}  // namespace

GstClockTime BatchClock::arrival_of(const ReceiveSlot& slot) const {
  if (!GST_CLOCK_TIME_IS_VALID(now_running) || slot.arrival_realtime_ns <= 0 ||
      slot.arrival_realtime_ns >= now_realtime_ns)
    return now_running;
  const auto age = static_cast<GstClockTime>(now_realtime_ns - slot.arrival_realtime_ns);
  return age < now_running ? now_running - age : 0;
}

DatagramBuffers::DatagramBuffers(GstBufferPool* pool, size_t batch, bool pack, GstDebugCategory* category)
    : pool_(pool), pack_(pack), category_(category), slots_(batch) {}

DatagramBuffers::~DatagramBuffers() {
  for (auto& spare : spares_) {
    gst_memory_unmap(datagram_memory(spare.buffer), &spare.map);
    gst_buffer_unref(spare.buffer);
  }
  if (last_sender_ != nullptr) g_object_unref(last_sender_);
  gst_buffer_pool_set_active(pool_, FALSE);
  gst_object_unref(pool_);
}

bool DatagramBuffers::prepare_slots() {
  while (spares_.size() < slots_.size()) {
    SpareBuffer spare;
    if (gst_buffer_pool_acquire_buffer(pool_, &spare.buffer, nullptr) != GST_FLOW_OK) return false;
    gst_memory_map(datagram_memory(spare.buffer), &spare.map, GST_MAP_WRITE);
    spares_.push_back(spare);
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    slots_[i].data = spares_[i].map.data;
    slots_[i].capacity = spares_[i].map.size;
  }
  return true;
}

std::optional<size_t> DatagramBuffers::take_too_short_for_skip() {
  return std::exchange(too_short_, std::nullopt);
}

void DatagramBuffers::begin_batch(size_t n, bool mixed) {
  // Datagrams from several sockets (legs on different ports) go on in the order the kernel received them.
  order_.resize(n);
  for (size_t i = 0; i < n; ++i) order_[i] = i;
  if (mixed)
    std::stable_sort(order_.begin(), order_.end(),
                     [&](size_t a, size_t b) { return slots_[a].arrival_realtime_ns < slots_[b].arrival_realtime_ns; });
  ready_.clear();
  ready_slot_.clear();
}

std::vector<GstBuffer*>& DatagramBuffers::end_batch() {
  // Keep the spares that were not consumed (rejected datagrams, or slots past n), in order.
  size_t keep = 0;
  for (auto& spare : spares_)
    if (spare.buffer != nullptr) spares_[keep++] = spare;
  spares_.resize(keep);
  if (pack_ && !ready_.empty()) pack_ready();
  return ready_;
}

// Appends the buffers of one accepted read to `ready_`: one per datagram, several when the kernel coalesced a
// burst; with redundancy, only the first copies. A first datagram that does not go on leaves its spare for the next
// read.
void DatagramBuffers::emit_read(size_t slot_index, const BatchClock& clock, const BufferSettings& settings,
                                const ReceiveNames& names, const MergeJudge& judge) {
  const ReceiveSlot& slot = slots_[slot_index];
  const GstClockTime timestamp = clock.arrival_of(slot);
  const bool merging = judge.merger != nullptr;
  const size_t segment = slot.segments > 1 ? slot.segment_size : slot.length;
  const bool keep_first =
      !merging || passes_merge(judge, slot, 0, std::min(segment, slot.length), clock.now_monotonic_ns);
  const size_t first = ready_.size();
  if (keep_first) ready_.push_back(nullptr);  // the first datagram's place; its bytes live in the spare, taken last
  for (size_t k = 1; k < slot.segments; ++k) {
    const size_t offset = k * segment;
    const size_t len = std::min(segment, slot.length - offset);
    if (merging && !passes_merge(judge, slot, offset, len, clock.now_monotonic_ns)) continue;
    GstBuffer* buf = finish_buffer(copy_segment(slot, offset, len), slot, timestamp, settings, names);
    if (buf != nullptr) ready_.push_back(buf);
  }
  if (keep_first) {
    ready_[first] = finish_buffer(take_spare(spares_[slot_index], slot, segment), slot, timestamp, settings, names);
    if (ready_[first] == nullptr) ready_.erase(ready_.begin() + static_cast<std::ptrdiff_t>(first));
  }
  ready_slot_.resize(ready_.size(), slot_index);
}

// The first `len` bytes of a read, in the spare buffer it was read into (taking it). Bytes past the buffer's size
// (mtu) went to the receiver's overflow area and are copied in: the datagram stays whole.
GstBuffer* DatagramBuffers::take_spare(SpareBuffer& spare, const ReceiveSlot& slot, size_t len) {
  GstBuffer* buf = spare.buffer;
  gst_memory_unmap(datagram_memory(buf), &spare.map);
  spare.buffer = nullptr;
  if (len <= slot.capacity) {
    datagram_set_size(buf, len);
    return buf;
  }
  const size_t rest = len - slot.capacity;
  GstMemory* more = gst_allocator_alloc(nullptr, rest, nullptr);
  GstMapInfo map;
  gst_memory_map(more, &map, GST_MAP_WRITE);
  memcpy(map.data, slot.overflow, rest);
  gst_memory_unmap(more, &map);
  gst_buffer_append_memory(buf, more);
  GST_LOG("datagram of %zu bytes is larger than mtu %zu", len, slot.capacity);
  return buf;
}

// Bytes [offset, offset + len) of a read that the kernel coalesced (UDP GRO), copied into a buffer of their own.
GstBuffer* DatagramBuffers::copy_segment(const ReceiveSlot& slot, size_t offset, size_t len) {
  GstBuffer* buf = nullptr;
  if (len > slot.capacity || gst_buffer_pool_acquire_buffer(pool_, &buf, nullptr) != GST_FLOW_OK)
    buf = gst_buffer_new_allocate(nullptr, len, nullptr);
  GstMemory* mem = datagram_memory(buf);
  GstMapInfo map;
  gst_memory_map(mem, &map, GST_MAP_WRITE);
  slot.copy(offset, len, map.data);
  gst_memory_unmap(mem, &map);
  datagram_set_size(buf, len);
  return buf;
}

// Timestamps and metas for one datagram's buffer, and skip-first-bytes; nullptr when nothing is left of it.
GstBuffer* DatagramBuffers::finish_buffer(GstBuffer* buf, const ReceiveSlot& slot, GstClockTime timestamp,
                                          const BufferSettings& settings, const ReceiveNames& names) {
  const int skip = settings.skip_first_bytes;
  if (skip > 0) {
    const size_t size = gst_buffer_get_size(buf);
    if (static_cast<size_t>(skip) >= size) {
      if (!warned_too_short_) too_short_ = size;
      warned_too_short_ = true;
      gst_buffer_unref(buf);
      return nullptr;
    }
    gst_buffer_resize(buf, skip, -1);
  }
  GST_BUFFER_PTS(buf) = timestamp;
  GST_BUFFER_DTS(buf) = timestamp;
  if (settings.retrieve_sender_address) {
    set_sender_meta(buf, slot.sender);
  } else if (GstNetAddressMeta* meta = gst_buffer_get_net_address_meta(buf)) {
    gst_buffer_remove_meta(buf, &meta->meta);  // a pooled buffer keeps it from when it was on
  }
  set_receive_meta(names, buf, slot);
  return buf;
}

// The sender's address as a GSocketAddress; the last one is kept, so a stream from one sender costs no allocation.
GSocketAddress* DatagramBuffers::sender_address(const sockaddr_storage& sender) {
  const socklen_t len = sender.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  if (last_sender_ == nullptr || memcmp(&last_sender_raw_, &sender, len) != 0) {
    if (last_sender_ != nullptr) g_object_unref(last_sender_);
    last_sender_ = g_socket_address_new_from_native(const_cast<sockaddr_storage*>(&sender), len);
    last_sender_raw_ = sender;
  }
  return last_sender_;
}

void DatagramBuffers::set_sender_meta(GstBuffer* buf, const sockaddr_storage& sender) {
  GSocketAddress* addr = sender_address(sender);
  GstNetAddressMeta* meta = gst_buffer_get_net_address_meta(buf);
  if (meta == nullptr) {
    meta = gst_buffer_add_net_address_meta(buf, addr);
    mark_pooled(&meta->meta);
  } else if (meta->addr != addr) {
    g_object_unref(meta->addr);
    meta->addr = G_SOCKET_ADDRESS(g_object_ref(addr));
  }
}

// Joins each run of buffers in `ready_` whose datagrams belong to one flow into one buffer (at most
// kMaxPackedBytes), with the first one's timestamps, flags and metas. The joined datagrams' buffers go back to the
// pool.
void DatagramBuffers::pack_ready() {
  auto& ready = ready_;
  size_t out = 0;
  for (size_t i = 0; i < ready.size();) {
    gsize total = gst_buffer_get_size(ready[i]);
    size_t end = i + 1;
    while (end < ready.size() && same_flow(slots_[ready_slot_[i]], slots_[ready_slot_[end]]) &&
           total + gst_buffer_get_size(ready[end]) <= kMaxPackedBytes)
      total += gst_buffer_get_size(ready[end++]);
    if (end - i == 1) {
      ready[out++] = ready[i++];
      continue;
    }
    GstBuffer* packed = gst_buffer_new_allocate(nullptr, total, nullptr);
    gst_buffer_copy_into(packed, ready[i], GST_BUFFER_COPY_METADATA, 0, -1);
    GstMapInfo map;
    gst_buffer_map(packed, &map, GST_MAP_WRITE);
    gsize at = 0;
    for (size_t k = i; k < end; ++k) {
      at += gst_buffer_extract(ready[k], 0, map.data + at, total - at);
      gst_buffer_unref(ready[k]);
    }
    gst_buffer_unmap(packed, &map);
    ready[out++] = packed;
    i = end;
  }
  ready.resize(out);
}

}  // namespace mcastexpert::plugin
