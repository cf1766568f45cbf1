// A multicast sender: one UDP socket per egress interface, each bound to that interface's own address and pinned
// with IP_MULTICAST_IF / IPV6_MULTICAST_IF, sending every datagram to every destination by every interface.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "destination.hpp"
#include "egress_choice.hpp"
#include "interface_table.hpp"
#include "link_watch.hpp"
#include "netns.hpp"
#include "socket_options.hpp"
#include "unique_fd.hpp"
#include "waker.hpp"

namespace mcastexpert {

struct SenderSettings {
  std::vector<Destination> destinations;  // at least one, one family; each by its own interfaces, if it names any
  std::string iface;             // interface specifiers; empty = the interface the routing table picks for each group
  int ttl = 1;                   // IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS
  bool loop = false;             // IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP
  int dscp = -1;                 // IP_TOS / IPV6_TCLASS = dscp << 2; -1 leaves it alone
  uint16_t bind_port = 0;        // source port, 0 = ephemeral
  int buffer_size = 0;           // SO_SNDBUF, 0 = the OS default
  bool gso = true;               // runs of equal-sized datagrams as one UDP GSO send; false: every datagram on its own
  uint64_t max_pacing_rate = 0;  // bits/s: SO_MAX_PACING_RATE on every socket, which the fq qdisc enforces; 0 = off
  DebugLog log;
};

// An interface the sender leaves by, and why it was chosen.
struct Egress {
  NetInterface iface;
  IpAddress source;      // the address its socket is bound to
  uint16_t source_port;  // as bound
  EgressReason reason;   // why this interface: named by the user (Iface), or the routing table's choice
  bool from_route() const noexcept { return reason != EgressReason::Iface; }
};

// One datagram to send: its pieces (scatter/gather) and their total size.
struct Datagram {
  const iovec* iov = nullptr;
  size_t iovcnt = 0;
  size_t length = 0;
};

// A send failure for the caller to report once: which route, which errno.
struct SendFailure {
  Destination destination;
  std::string ifname;
  int error;
  // The address the route's socket is bound to, and whether its interface has lost it (an address change under
  // way: the sender moves to the new address when it appears).
  IpAddress source;
  bool source_gone = false;
};

// What one send() did.
struct SendOutcome {
  size_t sent = 0;           // (datagram, route) sends that succeeded
  size_t failed = 0;         // (datagram, route) sends that failed, counted in the routes' errors
  bool interrupted = false;  // the stop waker was woken while a socket's queue was full: the rest was not sent
};

// send() runs on one thread at a time (the streaming thread); the destination changes and the stats reads may come
// from any other thread meanwhile. send() works on a snapshot of the destinations and never holds a lock while it
// sends, so a send waiting for room in a full socket buffer holds up nothing but itself.
class MulticastSender {
 public:
  // Resolves interfaces (or asks the routing table), opens, configures and binds one socket per interface. Throws
  // Error naming what is wrong and how to fix it.
  MulticastSender(const SenderSettings& settings, const InterfaceTable& table);
  ~MulticastSender();
  MulticastSender(const MulticastSender&) = delete;
  MulticastSender& operator=(const MulticastSender&) = delete;

  Family family() const noexcept { return family_; }
  std::vector<Egress> egresses() const;
  int granted_buffer_size() const noexcept { return granted_buffer_size_.load(std::memory_order_relaxed); }
  size_t max_datagram() const noexcept;

  // Run-time changes. add() throws Error for a destination of the other family, one naming interfaces that are not
  // here, and with a routed default for one it finds no route for (reading `table`). remove() without interfaces
  // takes every route to that group and port; with them, only those added with exactly those. Both return false
  // when nothing changed.
  bool add_destination(const Destination& d, const InterfaceTable& table);
  bool remove_destination(const Destination& d);
  void clear_destinations();

  // Sends each datagram to every destination by every interface, in as few system calls as it can: runs of
  // equal-sized datagrams as one UDP GSO send where the kernel can segment them, the rest with sendmmsg.
  // Failures do not stop the others: they are counted, and each new (route, errno) pair is appended to `failures`.
  // A socket whose queue is full is waited for, until it has room or `stop` is woken.
  SendOutcome send(const Datagram* datagrams, size_t count, std::vector<SendFailure>& failures, const Waker& stop);

  // Without waiting: whether the kernel reported an interface or address change since the last call.
  bool interfaces_changed() noexcept { return watcher_.drain(); }
  // The interfaces as they are now, in the network namespace the sender was made in. Throws Error(Resource).
  InterfaceTable interfaces_now() const {
    return netns_.run([] { return InterfaceTable::from_system(); });
  }
  // Brings the egress sockets in line with the interfaces as they are now: an interface deleted and made again
  // under the same name (a new index), or whose address the socket was bound to is gone, gets a new socket, bound
  // to its address now and pinned to its index now; one gone is marked so (its sends fail and are counted until it
  // is back); link down and up are noted. Call it from the sending thread (it replaces sockets send() uses).
  // Returns what changed, once per interface.
  std::vector<InterfaceEvent> follow_interfaces(const InterfaceTable& table);

  // Per route counters: packets, bytes, errors.
  struct RouteStats {
    Destination destination;
    std::string ifname;
    uint64_t packets, bytes, errors;
  };
  std::vector<RouteStats> route_stats() const;

 private:
  struct EgressSocket;
  struct Route;
  using RouteList = std::vector<std::shared_ptr<Route>>;

  std::shared_ptr<EgressSocket> open_egress(const NetInterface& iface, const IpAddress& for_group, EgressReason reason);
  std::shared_ptr<EgressSocket> egress_for_route_default(const IpAddress& group, const InterfaceTable& table);
  std::shared_ptr<EgressSocket> egress_for_interface(const NetInterface& iface, const IpAddress& group);
  // Appends the routes `d` needs that `routes` lacks. Called with lock_ held.
  void add_routes_for(const Destination& d, const InterfaceTable& table, RouteList& routes);
  std::shared_ptr<const RouteList> snapshot() const;

  size_t gso_run(const Route& route, const Datagram* d, size_t n) const;
  int send_gso(Route& route, const Datagram* d, size_t n, const Waker& stop);
  size_t send_plain(Route& route, const Datagram* d, size_t n, std::vector<SendFailure>& failures, const Waker& stop,
                    SendOutcome& outcome);
  void count_failed(Route& route, size_t packets, int err, std::vector<SendFailure>& failures);

  const SenderSettings settings_;
  Family family_ = Family::V4;
  std::atomic<int> granted_buffer_size_{0};

  // Guards egresses_ and the routes_ pointer (not what it points to: a route list is never changed once
  // published; a change publishes a new one). Held only to copy or swap, never while sending.
  mutable std::mutex lock_;
  std::vector<std::shared_ptr<EgressSocket>> egresses_;        // every interface sent by
  std::vector<std::shared_ptr<EgressSocket>> iface_egresses_;  // those `iface` names, in its order
  std::shared_ptr<const RouteList> routes_;
  LinkWatcher watcher_;
  NetnsPin netns_;

  // The sending thread's own.
  bool gso_ = true;  // UDP_SEGMENT asked for and working here, until a send says otherwise
  std::vector<mmsghdr> messages_;
  std::vector<iovec> gso_iov_;
};

}  // namespace mcastexpert
