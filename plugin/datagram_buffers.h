// The source's data path: a batch of received datagrams into buffers. The element's create() waits, reads a batch
// into the slots this hands out, and pushes what comes back; everything between — spare pool buffers, the split of
// a coalesced (GRO) read, the ST 2022-7 verdict on each copy, timestamps from the kernel's arrival times, the
// sender and receive metas, skip-first-bytes, and packing with preserve-packetization=false — is here, where a
// unit test reaches it with hand-filled slots and no network.
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "receiver.hpp"
#include "rtp_merge.hpp"

namespace mcastexpert::plugin {

// What the buffers' receive meta names, from the running receiver (fixed from one start to the next stop, but for
// interface names, which follow a re-created interface).
struct ReceiveNames {
  std::vector<std::string> groups;          // by group index
  std::map<unsigned, std::string> ifnames;  // by interface index
};

// With redundancy=st2022-7: the merger that lets the first copy of each RTP packet through, and the count of
// datagrams that are not RTP at all (which a merge cannot judge, so drops).
struct MergeJudge {
  RtpMerger* merger = nullptr;  // nullptr: no redundancy, every datagram goes on
  std::atomic<uint64_t>* not_rtp = nullptr;
};

// The clock readings a batch's timestamps come from: taken once per batch, each datagram placed before them by
// how long ago the kernel received it.
struct BatchClock {
  GstClockTime now_running = GST_CLOCK_TIME_NONE;  // the pipeline's running time (NONE: no clock yet)
  int64_t now_realtime_ns = 0;                     // CLOCK_REALTIME at the same moment
  int64_t now_monotonic_ns = 0;                    // for the merge window

  // The running time `slot`'s datagram arrived at: now, less its age by the kernel's timestamp, never below 0.
  GstClockTime arrival_of(const ReceiveSlot& slot) const;
};

// The live settings a buffer is shaped by, read again for each batch.
struct BufferSettings {
  int skip_first_bytes = 0;
  bool retrieve_sender_address = true;
};

class DatagramBuffers {
 public:
  // Reads go into buffers of `pool` (taken, activated by the caller), `batch` at a time. `pack`: join the
  // datagrams of one flow into buffers of up to kMaxPackedBytes (preserve-packetization=false). `category` gets
  // the LOG lines.
  DatagramBuffers(GstBufferPool* pool, size_t batch, bool pack, GstDebugCategory* category);
  ~DatagramBuffers();
  DatagramBuffers(const DatagramBuffers&) = delete;
  DatagramBuffers& operator=(const DatagramBuffers&) = delete;

  // Points every slot at a spare pool buffer (those a batch did not use wait, mapped, for the next). False when the
  // pool is flushing.
  bool prepare_slots();
  ReceiveSlot* slots() { return slots_.data(); }
  size_t batch_size() const { return slots_.size(); }

  // The buffers of the first `n` slots, in the order the kernel received them (`mixed`: they came from several
  // sockets, so sort by arrival): accepted datagrams only, one buffer each (a coalesced read split), with a merge
  // only first copies; timestamped, with metas, skip-first-bytes applied, packed if asked. `heard(membership)` is
  // called for each accepted read when merging. The buffers are the caller's; the vector is reused by the next call.
  template <typename Heard>
  std::vector<GstBuffer*>& make_buffers(size_t n, bool mixed, const BatchClock& clock, const BufferSettings& settings,
                                        const ReceiveNames& names, const MergeJudge& judge, Heard&& heard) {
    begin_batch(n, mixed);
    for (const size_t i : order_) {
      if (slots_[i].verdict != Verdict::Accepted) continue;
      if (judge.merger != nullptr) heard(slots_[i].membership);
      emit_read(i, clock, settings, names, judge);
    }
    return end_batch();
  }

  // The size of a datagram dropped for being no longer than skip-first-bytes, the first time one is: the element
  // warns once. nullopt otherwise.
  std::optional<size_t> take_too_short_for_skip();

  static constexpr gsize kMaxPackedBytes = 65536;  // the largest buffer packing makes

 private:
  struct SpareBuffer {
    GstBuffer* buffer = nullptr;
    GstMapInfo map{};
  };

  void begin_batch(size_t n, bool mixed);
  std::vector<GstBuffer*>& end_batch();
  void emit_read(size_t slot_index, const BatchClock& clock, const BufferSettings& settings, const ReceiveNames& names,
                 const MergeJudge& judge);
  GstBuffer* take_spare(SpareBuffer& spare, const ReceiveSlot& slot, size_t len);
  GstBuffer* copy_segment(const ReceiveSlot& slot, size_t offset, size_t len);
  GstBuffer* finish_buffer(GstBuffer* buf, const ReceiveSlot& slot, GstClockTime timestamp,
                           const BufferSettings& settings, const ReceiveNames& names);
  void set_sender_meta(GstBuffer* buf, const sockaddr_storage& sender);
  GSocketAddress* sender_address(const sockaddr_storage& sender);
  void pack_ready();

  GstBufferPool* pool_;
  bool pack_;
  GstDebugCategory* category_;
  std::vector<SpareBuffer> spares_;
  std::vector<ReceiveSlot> slots_;
  std::vector<size_t> order_;              // the slots of one batch, in the order their datagrams arrived
  std::vector<GstBuffer*> ready_;          // the buffers of one batch, in order
  std::vector<size_t> ready_slot_;         // by buffer in `ready_`: the slot its datagram was read into
  GSocketAddress* last_sender_ = nullptr;  // reused while the sender stays the same
  sockaddr_storage last_sender_raw_{};
  std::optional<size_t> too_short_;
  bool warned_too_short_ = false;
};

}  // namespace mcastexpert::plugin
