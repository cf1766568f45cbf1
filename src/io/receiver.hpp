// A multicast receiver: UDP sockets (one per port, and more where the kernel's per-socket limit of groups,
// igmp_max_memberships, is reached) that join groups on exactly the named interfaces and hand over
// only the datagrams that belong to them — checked by the kernel where it can filter, and datagram by datagram for
// the rest.
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "address_list.hpp"
#include "interface_table.hpp"
#include "link_watch.hpp"
#include "netns.hpp"
#include "socket_options.hpp"
#include "unique_fd.hpp"
#include "verdict.hpp"
#include "waker.hpp"

namespace mcastexpert {

// What the user asked for (already parsed).
struct ReceiverSettings {
  // Required, one family. An entry's own interfaces (@...) or IPv6 %scope pin it there; its own port gives it a
  // socket of that port.
  std::vector<GroupEntry> groups;
  uint16_t port = 5004;                  // for entries without a port of their own; 0 = any free port
  std::string iface;                     // interface specifiers; empty = every up, multicast, non-loopback interface
  std::vector<IpAddress> sources;        // source-specific joins (include mode)
  std::vector<IpAddress> block_sources;  // any-source joins excluding these
  bool reuse = true;                     // let other receivers share the port (SO_REUSEADDR, never SO_REUSEPORT)
  bool loop = false;                     // accept datagrams this host sent itself
  int buffer_size = 0;                   // SO_RCVBUF in bytes, 0 = the OS default
  bool report_ttl = false;               // fill ReceiveSlot::ttl (one more control message per datagram)
  DebugLog log;
};

// One join: a group on an interface, on the socket of a port. Each is one "leg" of what the receiver delivers.
struct Membership {
  size_t group_index;  // into ReceiverSettings::groups
  IpAddress group;
  unsigned ifindex;
  std::string ifname;
  uint16_t port = 0;  // as bound
  size_t socket = 0;  // which of the receiver's sockets
  // With sources: the socket each one (by index into ReceiverSettings::sources) is joined on. A socket filters at
  // most igmp_max_msf / mld_max_msf sources per group, so a long list is spread over more sockets on the port.
  std::vector<size_t> source_sockets{};
  bool on_socket(size_t s) const {
    return s == socket || std::find(source_sockets.begin(), source_sockets.end(), s) != source_sockets.end();
  }
  bool by_default = false;  // on a default interface (no iface): dropped when it goes away
  bool present = true;      // the interface exists (and the join holds); false: gone, ifindex 0
  bool up = true;           // its link was up when last looked at
};

// One datagram's place in a batch. The caller fills `data` and `capacity`; receive() fills the rest.
struct ReceiveSlot {
  uint8_t* data = nullptr;
  size_t capacity = 0;

  size_t length = 0;                  // the whole read; when > capacity, the rest is at overflow
  const uint8_t* overflow = nullptr;  // valid until the next receive()
  // UDP GRO: when the kernel handed over several datagrams of one flow coalesced, each `segment_size` bytes (the
  // last one shorter or equal), this is that size and `segments` their number; otherwise 0 and 1.
  size_t segment_size = 0;
  size_t segments = 1;

  // Copies `len` bytes from `offset` of the read (across data and overflow) to `out`.
  void copy(size_t offset, size_t len, uint8_t* out) const;
  Verdict verdict = Verdict::Accepted;
  sockaddr_storage sender{};        // the sender's address and port
  size_t group_index = 0;           // which group it was sent to (when accepted)
  size_t membership = 0;            // which join (leg) it came by (when accepted)
  uint16_t port = 0;                // the port it was sent to
  unsigned ifindex = 0;             // the interface it arrived on
  int64_t arrival_realtime_ns = 0;  // the kernel's receive time (CLOCK_REALTIME), 0 if unknown
  int ttl = -1;                     // the IPv4 TTL / IPv6 hop limit it arrived with (report_ttl), -1 if unknown
};

// A batch of receive slots with memory of their own (datagrams of up to `size` bytes; longer ones use the
// receiver's overflow area), for readers that copy what they keep — the tool, the SAP listeners.
class SlotBatch {
 public:
  SlotBatch(size_t count, size_t size) : memory_(count, std::vector<uint8_t>(size)), slots_(count) {
    for (size_t i = 0; i < count; ++i) {
      slots_[i].data = memory_[i].data();
      slots_[i].capacity = memory_[i].size();
    }
  }
  ReceiveSlot* data() { return slots_.data(); }
  size_t size() const { return slots_.size(); }
  const ReceiveSlot& operator[](size_t i) const { return slots_[i]; }

 private:
  std::vector<std::vector<uint8_t>> memory_;
  std::vector<ReceiveSlot> slots_;
};

// Counters, written by the receiving thread only and readable from any thread.
struct ReceiverStats {
  struct Counter {
    std::atomic<uint64_t> value{0};
    void add(uint64_t n) { value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    uint64_t get() const { return value.load(std::memory_order_relaxed); }
  };
  Counter packets, bytes;
  std::array<Counter, kVerdictCount> by_verdict;          // datagrams judged so, by Verdict (Accepted unused)
  std::unique_ptr<Counter[]> group_packets, group_bytes;  // per group, by group_index
  std::deque<Counter> leg_packets;                        // per membership (leg): datagrams accepted
  int granted_buffer_size = 0;
  const Counter& rejected(Verdict v) const { return by_verdict[static_cast<size_t>(v)]; }
  uint64_t rejected() const {
    uint64_t n = 0;
    for (const auto& r : kRejections) n += rejected(r.verdict).get();
    return n;
  }
};

class MulticastReceiver {
 public:
  // Resolves interfaces, opens and binds the socket, joins every (group, interface[, source]). Throws Error naming
  // what is wrong and how to fix it.
  MulticastReceiver(const ReceiverSettings& settings, const InterfaceTable& table);
  ~MulticastReceiver();
  MulticastReceiver(const MulticastReceiver&) = delete;
  MulticastReceiver& operator=(const MulticastReceiver&) = delete;

  Family family() const noexcept { return family_; }
  // The port of the entries without one of their own (the first socket's when every entry has one).
  uint16_t port() const noexcept { return port_; }
  const std::vector<Membership>& memberships() const noexcept { return memberships_; }
  const std::vector<GroupEntry>& groups() const noexcept { return settings_.groups; }
  const ReceiverStats& stats() const noexcept { return stats_; }
  // Datagrams the kernel dropped for these sockets since they were opened (a receive queue was full). From any
  // thread.
  uint64_t kernel_drops() const;
  // The largest datagram the family allows (65507 for IPv4, 65527 for IPv6).
  size_t max_datagram() const noexcept;

  enum class WaitResult { Readable, Stopped, Recheck, InterfacesChanged, TimedOut };
  // Blocks until a datagram is waiting (Readable), `stop` is woken (Stopped: the caller is asked to stop),
  // `recheck` is woken (Recheck: something the caller waits by changed, such as its timeout), the kernel reports an
  // interface or address change (InterfacesChanged: call follow_interfaces), or timeout_ms passes (-1: no
  // timeout). Neither waker is cleared here.
  WaitResult wait(int timeout_ms, const Waker& stop, const Waker& recheck);
  // What wait() watches besides its wakers — the interface watch (when there is one), then every socket — for a
  // caller that waits on several receivers in one poll(); it then asks interfaces_changed() and receive() of each.
  std::vector<int> wait_fds() const;

  // Without waiting: whether the kernel reported an interface or address change since the last call (for a
  // caller busy reading, which does not wait).
  bool interfaces_changed() noexcept { return watcher_.drain(); }

  // Brings the joins in line with the interfaces as they are now: an interface deleted and made again under the
  // same name is joined again by name on its new index; one gone is marked so (a default one is left); with the
  // default interfaces and `join_new`, a new one that qualifies is joined; link down and up are noted. Returns what
  // changed, once per interface, for the caller to report. May append memberships (never removes or reorders
  // them), so the caller must hold whatever lock guards readers of memberships() and stats(); without `join_new`
  // the list stays as it is (the merging of redundant legs counts its legs at start).
  std::vector<InterfaceEvent> follow_interfaces(const InterfaceTable& table, bool join_new);
  // Leaves every join and joins it again at once, so that the host reports its memberships again: an IGMP/MLD
  // snooping switch that forgot them (no querier asks) learns them anew. Between the leave and the join, some
  // microseconds, a datagram may be missed. Returns the joins that failed, as text (empty: all held).
  std::string rejoin();

  // The interfaces as they are now, in the network namespace the receiver was made in (whichever thread asks).
  // Throws Error(Resource) if they cannot be read.
  InterfaceTable interfaces_now() const {
    return netns_.run([] { return InterfaceTable::from_system(); });
  }

  // Reads up to `count` waiting datagrams without blocking (one system call per socket that has some; the socket
  // read first takes turns, so a busy port cannot starve another) and judges each. Returns how many slots were
  // filled, accepted or not (0 when nothing was waiting). Throws Error(Resource) on a socket error.
  size_t receive(ReceiveSlot* slots, size_t count);
  // Whether the last receive() filled its slots from more than one socket: their order is then socket by socket,
  // and arrival_realtime_ns tells the order they came in.
  bool last_receive_mixed() const noexcept { return last_mixed_; }

 private:
  void plan_memberships(const InterfaceTable& table);
  void open_socket(size_t index, uint16_t port);
  void join_all();
  int join_membership(const Membership& m, std::string& failed) const;
  int join_first(const Membership& m) const;
  int join_group_on(size_t socket, const Membership& m) const;
  int join_source_on(size_t socket, const Membership& m, const IpAddress& source) const;
  int block_source_on(size_t socket, const Membership& m, const IpAddress& source) const;
  void leave_membership(const Membership& m) const;
  size_t receive_from(size_t socket, ReceiveSlot* slots, size_t count, size_t first_scratch);
  void judge(ReceiveSlot& slot, size_t socket, const std::optional<IpAddress>& destination) const;
  bool is_own_address(const IpAddress& sender) const;

  ReceiverSettings settings_;
  Family family_ = Family::V4;
  std::vector<UniqueFd> sockets_;  // one per distinct port, more where one cannot hold all its port's groups
  std::vector<pollfd> poll_fds_;   // the wakers, then every socket: made once, so a wait allocates nothing
  std::vector<uint16_t> ports_;    // as bound, by socket
  size_t next_socket_ = 0;         // the socket receive() reads first
  bool last_mixed_ = false;        // the last receive() read more than one socket
  uint16_t port_ = 0;
  std::vector<Membership> memberships_;
  std::vector<IpAddress> own_addresses_;  // this host's addresses on non-loopback interfaces, for loop=false
  std::vector<unsigned> loopback_indexes_;
  ReceiverStats stats_;
  LinkWatcher watcher_;
  NetnsPin netns_;

  // Per-slot scratch for recvmmsg, sized at construction: no allocation while receiving.
  struct Scratch;
  std::unique_ptr<Scratch> scratch_;
};

}  // namespace mcastexpert
