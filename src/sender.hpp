// A multicast sender: one UDP socket per egress interface, each bound to that interface's own address and pinned
// with IP_MULTICAST_IF / IPV6_MULTICAST_IF, sending every datagram to every destination by every interface.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "address_list.hpp"
#include "interface_table.hpp"
#include "socket_options.hpp"
#include "unique_fd.hpp"

namespace mcastexpert {

struct SenderSettings {
  std::vector<GroupEntry> groups;  // destinations; an entry without a port uses `port`
  uint16_t port = 5004;
  std::string iface;       // interface specifiers; empty = the interface the routing table picks for each group
  int ttl = 1;             // IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS
  bool loop = false;       // IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP
  int dscp = -1;           // IP_TOS / IPV6_TCLASS = dscp << 2; -1 leaves it alone
  uint16_t bind_port = 0;  // source port, 0 = ephemeral
  int buffer_size = 0;     // SO_SNDBUF, 0 = the OS default
  DebugLog log;
};

struct Destination {
  IpAddress group;
  uint16_t port = 0;
  std::string to_string() const;
};

// An interface the sender leaves by, and why it was chosen.
struct Egress {
  NetInterface iface;
  IpAddress source;      // the address its socket is bound to
  uint16_t source_port;  // as bound
  bool from_route;       // chosen by the routing table (iface was empty), not by the user
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
};

// Not thread-safe: the caller serialises send(), the destination changes and the stats reads.
class MulticastSender {
 public:
  // Resolves interfaces (or asks the routing table), opens, configures and binds one socket per interface. Throws
  // Error naming what is wrong and how to fix it.
  MulticastSender(const SenderSettings& settings, const InterfaceTable& table);
  ~MulticastSender();
  MulticastSender(const MulticastSender&) = delete;
  MulticastSender& operator=(const MulticastSender&) = delete;

  Family family() const noexcept { return family_; }
  const std::vector<Egress>& egresses() const noexcept { return egresses_; }
  int granted_buffer_size() const noexcept { return granted_buffer_size_; }
  size_t max_datagram() const noexcept;

  // Run-time changes (the caller serialises them with send()). add() throws Error for a destination it cannot
  // serve (not multicast, other family, and with a routed default: no route). Both return false when nothing changed.
  bool add_destination(const IpAddress& group, uint16_t port, const InterfaceTable* table = nullptr);
  bool remove_destination(const IpAddress& group, uint16_t port);
  void clear_destinations();

  // Sends each datagram to every destination by every interface, in as few system calls as it can: runs of
  // equal-sized datagrams as one UDP GSO send where the kernel can segment them, the rest with sendmmsg.
  // Failures do not stop the others: they are counted, and each new (route, errno) pair is appended to `failures`.
  // Returns how many (datagram, route) sends succeeded.
  size_t send(const Datagram* datagrams, size_t count, std::vector<SendFailure>& failures);

  // Per route counters: packets, bytes, errors.
  struct RouteStats {
    Destination destination;
    std::string ifname;
    uint64_t packets, bytes, errors;
  };
  std::vector<RouteStats> route_stats() const;
  uint64_t total_errors() const;

 private:
  struct Route;
  Egress open_egress(const NetInterface& iface, const IpAddress& for_group, bool from_route);
  size_t egress_for_route_default(const IpAddress& group, const InterfaceTable& table);
  void add_routes_for(const Destination& d, const InterfaceTable* table);

  SenderSettings settings_;
  Family family_ = Family::V4;
  std::vector<Egress> egresses_;
  std::vector<UniqueFd> sockets_;          // one per egress
  std::vector<bool> egress_connected_;     // per egress: its socket is connected (to connected_to_)
  std::vector<Destination> connected_to_;  // per egress
  std::vector<std::unique_ptr<Route>> routes_;
  int granted_buffer_size_ = 0;

  size_t gso_run(const Route& route, const Datagram* d, size_t n) const;
  int send_gso(Route& route, const Datagram* d, size_t n);
  size_t send_plain(Route& route, const Datagram* d, size_t n, std::vector<SendFailure>& failures);
  void count_sent(Route& route, size_t packets, size_t bytes);
  void count_failed(Route& route, size_t packets, int err, std::vector<SendFailure>& failures);

  bool gso_ = true;  // UDP_SEGMENT works here, until a send says otherwise

  // Scratch, grown once, reused for every call.
  std::vector<mmsghdr> messages_;
  std::vector<iovec> gso_iov_;
};

}  // namespace mcastexpert
