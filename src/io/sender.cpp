#include "sender.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "egress_choice.hpp"
#include "error.hpp"
#include "interface_spec.hpp"
#include "qdisc.hpp"
#include "route_lookup.hpp"

namespace mcastexpert {

// Everything about one interface the sender leaves by: what it is and its socket.
struct MulticastSender::EgressSocket {
  Egress info;
  UniqueFd fd;
  IpAddress for_group;  // the group its source address was chosen for (IPv6: link-local for link-scope groups)
  bool present = true;  // its interface exists
  bool up = true;       // its link was up when last looked at
  // The socket is connect()ed to the first destination it serves (a socket usually serves one): sends there name no
  // address, and the kernel reuses the route it looked up at connect() instead of making one per datagram (multicast
  // routes are not cached otherwise). Other destinations are named on every send, which a connected UDP socket
  // allows. Set once, under lock_.
  bool connected = false;
  Destination connected_to;
};

struct MulticastSender::Route {
  struct Counter {
    std::atomic<uint64_t> value{0};
    void add(uint64_t n) { value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    uint64_t get() const { return value.load(std::memory_order_relaxed); }
  };

  Destination destination;  // group and port
  Destination added_as;     // as added, with the interfaces it named
  std::shared_ptr<EgressSocket> egress;
  sockaddr_storage address{};
  socklen_t address_len = 0;
  bool connected = false;          // the egress socket is connected to this destination
  Counter packets, bytes, errors;  // written by the sending thread, read by any
  int last_error = 0;              // the sending thread's own
};

namespace {

[[noreturn]] void invalid(const std::string& what, const std::string& hint) {
  throw Error(ErrorKind::InvalidSetting, what, hint);
}

bool link_scoped(const IpAddress& group) {
  return group.is_v6() && group.multicast_scope() <= MulticastScope::LinkLocal;
}

// Waits until `fd` has room for more, or `stop` is woken (false).
bool wait_writable(int fd, const Waker& stop) {
  pollfd fds[2] = {{fd, POLLOUT, 0}, {stop.fd(), POLLIN, 0}};
  while (poll(fds, 2, -1) < 0)
    if (errno != EINTR) return true;  // let the send itself report what is wrong
  return fds[1].revents == 0;
}

bool would_block(int err) {
  return err == EAGAIN || err == EWOULDBLOCK;
}

}  // namespace

MulticastSender::MulticastSender(const SenderSettings& settings, const InterfaceTable& table)
    : settings_(settings), routes_(std::make_shared<RouteList>()), gso_(settings.gso) {
  about_setting("groups", [&] {
    if (settings_.destinations.empty()) invalid("no destination group", "list at least one group, e.g. 239.255.0.1");
    family_ = settings_.destinations.front().group.family();
    for (const auto& d : settings_.destinations)
      if (d.group.family() != family_) invalid("the groups mix IPv4 and IPv6", "use one element per family");
  });
  about_setting("ttl", [&] {
    if (settings_.ttl < 0 || settings_.ttl > 255)
      invalid("TTL " + std::to_string(settings_.ttl) + " is out of range", "use 0 to 255");
  });
  about_setting("qos-dscp", [&] {
    if (settings_.dscp < -1 || settings_.dscp > 63)
      invalid("DSCP " + std::to_string(settings_.dscp) + " is out of range", "use 0 to 63, or -1 to leave it alone");
  });

  std::lock_guard<std::mutex> lock(lock_);
  about_setting("iface", [&] {
    for (const auto& iface : resolve_interfaces(table, settings_.iface, InterfaceRole::Send))
      iface_egresses_.push_back(egress_for_interface(iface, settings_.destinations.front().group));
  });
  auto routes = std::make_shared<RouteList>();
  for (const auto& d : settings_.destinations)
    about_setting(settings_.iface.empty() && d.interfaces.empty() ? "iface" : "groups",
                  [&] { add_routes_for(d, table, *routes); });
  routes_ = std::move(routes);
}

MulticastSender::~MulticastSender() = default;

size_t MulticastSender::max_datagram() const noexcept {
  return family_ == Family::V4 ? 65507 : 65527;
}

std::vector<Egress> MulticastSender::egresses() const {
  std::lock_guard<std::mutex> lock(lock_);
  std::vector<Egress> out;
  for (const auto& e : egresses_) out.push_back(e->info);
  return out;
}

std::shared_ptr<MulticastSender::EgressSocket> MulticastSender::open_egress(const NetInterface& iface,
                                                                            const IpAddress& for_group,
                                                                            EgressReason reason) {
  const IpAddress source = egress_source(iface, for_group);

  // Non-blocking: a full queue is waited for in send(), where a stop request can end the wait.
  UniqueFd fd = open_udp_socket(family_);
  const SocketOptions opt(fd.get(), settings_.log);
  opt.log("egress " + iface.name + " (index " + std::to_string(iface.index) + ", source " + source.to_string() +
          (reason == EgressReason::Iface
               ? ", named by the user)"
               : std::string(", chosen by the routing table: ") + egress_reason_name(reason) + ")"));
  if (family_ == Family::V4) {
    ip_mreqn mreq{};
    mreq.imr_ifindex = static_cast<int>(iface.index);
    if (const int rc = opt.set(IPPROTO_IP, IP_MULTICAST_IF, "IP_MULTICAST_IF", &mreq, sizeof mreq,
                               "index " + std::to_string(iface.index) + " (" + iface.name + ")"))
      throw_system_error("cannot pin multicast egress to " + iface.name, rc);
    opt.require_int(IPPROTO_IP, IP_MULTICAST_TTL, "IP_MULTICAST_TTL", settings_.ttl);
    opt.require_int(IPPROTO_IP, IP_MULTICAST_LOOP, "IP_MULTICAST_LOOP", settings_.loop ? 1 : 0);
    if (settings_.dscp >= 0) opt.require_int(IPPROTO_IP, IP_TOS, "IP_TOS", settings_.dscp << 2);
  } else {
    opt.require_int(IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", 1);
    opt.require_int(IPPROTO_IPV6, IPV6_MULTICAST_IF, "IPV6_MULTICAST_IF", static_cast<int>(iface.index));
    opt.require_int(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS", settings_.ttl);
    opt.require_int(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, "IPV6_MULTICAST_LOOP", settings_.loop ? 1 : 0);
    if (settings_.dscp >= 0) opt.require_int(IPPROTO_IPV6, IPV6_TCLASS, "IPV6_TCLASS", settings_.dscp << 2);
  }
  if (settings_.max_pacing_rate > 0) {
    // The kernel's own pacing: the fq qdisc spaces this socket's packets at the rate (bytes/s). Elsewhere the
    // option is accepted and has no effect; the sink paces in user space either way.
    const uint64_t bytes_per_second = settings_.max_pacing_rate / 8;
    const bool set =
        setsockopt(fd.get(), SOL_SOCKET, SO_MAX_PACING_RATE, &bytes_per_second, sizeof bytes_per_second) == 0;
    const std::string qdisc = root_qdisc_kind(iface.index);
    opt.log(std::string(set ? "SO_MAX_PACING_RATE " + std::to_string(bytes_per_second) + " B/s set"
                            : "SO_MAX_PACING_RATE refused") +
            " on " + iface.name + "; its qdisc is " + (qdisc.empty() ? "unknown" : qdisc) +
            (qdisc == "fq" ? ": the kernel paces too" : ": pacing in user space only"));
  }
  if (settings_.buffer_size > 0)
    granted_buffer_size_ = request_buffer_size(opt, fd.get(), false, settings_.buffer_size);
  else if (granted_buffer_size_ == 0)
    granted_buffer_size_ = opt.get_int(SOL_SOCKET, SO_SNDBUF) / 2;

  sockaddr_storage bind_addr{};
  const IpAddress bound = source.is_link_local_unicast() ? source.with_scope_id(iface.index) : source;
  // With an ephemeral port, the first socket's port is tried for the others too: receivers then see one source port
  // whichever network a copy came by.
  bool bound_ok = false;
  if (settings_.bind_port == 0 && !egresses_.empty()) {
    const socklen_t len = bound.to_sockaddr(egresses_.front()->info.source_port, bind_addr);
    bound_ok = bind(fd.get(), reinterpret_cast<sockaddr*>(&bind_addr), len) == 0;
  }
  const socklen_t len = bound.to_sockaddr(settings_.bind_port, bind_addr);
  if (!bound_ok && bind(fd.get(), reinterpret_cast<sockaddr*>(&bind_addr), len) != 0) {
    const int err = errno;
    const std::string what = "cannot bind to " + bound.to_string() + " port " + std::to_string(settings_.bind_port) +
                             " on " + iface.name + ": " + std::strerror(err);
    if (err == EADDRINUSE || err == EACCES) {
      Error e(ErrorKind::Resource, what,
              err == EADDRINUSE ? "that source port is taken: choose another bind-port, or 0 for any"
                                : privileged_port_hint("bind-port"),
              err);
      e.set_setting("bind-port");
      throw e;
    }
    throw Error(ErrorKind::Resource, what, "", err);
  }
  auto egress = std::make_shared<EgressSocket>();
  egress->info = {iface, bound, bound_port(fd.get()), reason};
  egress->fd = std::move(fd);
  egress->for_group = for_group;
  egress->up = iface.up;
  opt.log("bound to " + bound.to_string() + " port " + std::to_string(egress->info.source_port));
  return egress;
}

std::shared_ptr<MulticastSender::EgressSocket> MulticastSender::egress_for_route_default(const IpAddress& group,
                                                                                         const InterfaceTable& table) {
  EgressReason reason = EgressReason::DefaultRoute;
  const NetInterface* iface = &routed_egress_interface(group, table, reason);
  for (const auto& e : egresses_)
    if (e->info.iface.index == iface->index) return e;
  egresses_.push_back(open_egress(*iface, group, reason));
  return egresses_.back();
}

std::shared_ptr<MulticastSender::EgressSocket> MulticastSender::egress_for_interface(const NetInterface& iface,
                                                                                     const IpAddress& group) {
  for (const auto& e : egresses_)
    if (e->info.iface.index == iface.index) return e;
  egresses_.push_back(open_egress(iface, group, EgressReason::Iface));
  return egresses_.back();
}

void MulticastSender::add_routes_for(const Destination& d, const InterfaceTable& table, RouteList& routes) {
  auto add_route = [&](const std::shared_ptr<EgressSocket>& egress) {
    for (const auto& r : routes)
      if (r->egress == egress && r->destination.same_target(d)) return;
    auto route = std::make_shared<Route>();
    route->destination = {d.group, d.port, {}};
    route->added_as = d;
    route->egress = egress;
    // A link-local group needs the interface as scope id, or the kernel cannot tell which link it means.
    const IpAddress to = link_scoped(d.group) ? d.group.with_scope_id(egress->info.iface.index) : d.group;
    route->address_len = to.to_sockaddr(d.port, route->address);
    if (!egress->connected &&
        connect(egress->fd.get(), reinterpret_cast<const sockaddr*>(&route->address), route->address_len) == 0) {
      egress->connected = true;
      egress->connected_to = d;
    }
    route->connected = egress->connected && egress->connected_to.same_target(d);
    routes.push_back(std::move(route));
  };
  if (!d.interfaces.empty()) {
    for (const auto& iface : resolve_entry_interfaces(table, d.to_string(), d.interfaces, InterfaceRole::Send))
      add_route(egress_for_interface(iface, d.group));
    return;
  }
  if (!settings_.iface.empty()) {
    for (const auto& e : iface_egresses_) add_route(e);
    return;
  }
  add_route(egress_for_route_default(d.group, table));
}

std::shared_ptr<const MulticastSender::RouteList> MulticastSender::snapshot() const {
  std::lock_guard<std::mutex> lock(lock_);
  return routes_;
}

bool MulticastSender::add_destination(const Destination& d, const InterfaceTable& table) {
  check_destination_family(d, family_);
  std::lock_guard<std::mutex> lock(lock_);
  auto routes = std::make_shared<RouteList>(*routes_);
  add_routes_for(d, table, *routes);
  if (routes->size() == routes_->size()) return false;
  routes_ = std::move(routes);
  return true;
}

bool MulticastSender::remove_destination(const Destination& d) {
  std::lock_guard<std::mutex> lock(lock_);
  auto routes = std::make_shared<RouteList>(*routes_);
  // Without interfaces of its own, every route to that group and port goes; with them, the routes added so.
  routes->erase(std::remove_if(routes->begin(), routes->end(),
                               [&](const std::shared_ptr<Route>& r) {
                                 return d.interfaces.empty() ? r->destination.same_target(d) : r->added_as == d;
                               }),
                routes->end());
  if (routes->size() == routes_->size()) return false;
  routes_ = std::move(routes);
  return true;
}

void MulticastSender::clear_destinations() {
  std::lock_guard<std::mutex> lock(lock_);
  routes_ = std::make_shared<RouteList>();
}

namespace {

// UDP GSO (UDP_SEGMENT): the kernel cuts one large send into datagrams of gso_size. The whole must fit one IP
// packet's length field and at most 64 segments (UDP_MAX_SEGMENTS on older kernels).
constexpr size_t kGsoMaxBytes = 65000;
constexpr size_t kGsoMaxSegments = 64;
constexpr size_t kMaxIov = 1024;  // UIO_MAXIOV

}  // namespace

void MulticastSender::count_failed(Route& route, size_t packets, int err, std::vector<SendFailure>& failures) {
  route.errors.add(packets);
  if (route.last_error != err) {
    route.last_error = err;
    SendFailure f{route.destination, route.egress->info.iface.name, err, route.egress->info.source};
    if (err == EADDRNOTAVAIL || err == ENETUNREACH || err == EINVAL) {
      // Read only when the error changes, so at most once per outage; says whether this is an address change.
      try {
        const InterfaceTable now = interfaces_now();
        const NetInterface* iface = now.by_name(f.ifname);
        f.source_gone = iface != nullptr && !iface->has_address(f.source);
      } catch (const Error&) {
        // no table, no explanation: the errno alone is reported
      }
    }
    failures.push_back(std::move(f));
  }
}

size_t MulticastSender::gso_run(const Route& route, const Datagram* d, size_t n) const {
  if (!gso_ || n < 2) return 1;
  const size_t size = d[0].length;
  const size_t headers = family_ == Family::V4 ? 28 : 48;
  const unsigned mtu = route.egress->info.iface.mtu;
  if (size == 0 || mtu == 0 || size + headers > mtu) return 1;  // each segment must leave unfragmented
  size_t k = 1, total = size, iovs = d[0].iovcnt;
  while (k < n && k < kGsoMaxSegments && d[k].length == size && total + size <= kGsoMaxBytes &&
         iovs + d[k].iovcnt <= kMaxIov) {
    total += size;
    iovs += d[k].iovcnt;
    ++k;
  }
  // The last segment may be shorter.
  if (k < n && k < kGsoMaxSegments && d[k].length > 0 && d[k].length < size && total + d[k].length <= kGsoMaxBytes &&
      iovs + d[k].iovcnt <= kMaxIov)
    ++k;
  return k;
}

// Sends `n` datagrams as one GSO send. Returns 0, or the errno (EINTR when `stop` ended a wait for room);
// EINVAL/EIO/EOPNOTSUPP/ENOPROTOOPT mean the kernel or the device cannot do it here.
int MulticastSender::send_gso(Route& route, const Datagram* d, size_t n, const Waker& stop) {
  gso_iov_.clear();
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    gso_iov_.insert(gso_iov_.end(), d[i].iov, d[i].iov + d[i].iovcnt);
    total += d[i].length;
  }
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint16_t))] = {};
  msghdr msg{};
  if (!route.connected) {
    msg.msg_name = &route.address;
    msg.msg_namelen = route.address_len;
  }
  msg.msg_iov = gso_iov_.data();
  msg.msg_iovlen = gso_iov_.size();
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
  const auto segment = static_cast<uint16_t>(d[0].length);
  std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
  const int fd = route.egress->fd.get();
  while (sendmsg(fd, &msg, 0) < 0) {
    if (errno == EINTR) continue;
    if (!would_block(errno)) return errno;
    if (!wait_writable(fd, stop)) return EINTR;
  }
  route.packets.add(n);
  route.bytes.add(total);
  route.last_error = 0;
  return 0;
}

size_t MulticastSender::send_plain(Route& route, const Datagram* d, size_t n, std::vector<SendFailure>& failures,
                                   const Waker& stop, SendOutcome& outcome) {
  messages_.clear();
  for (size_t i = 0; i < n; ++i) {
    mmsghdr m{};
    if (!route.connected) {
      m.msg_hdr.msg_name = &route.address;
      m.msg_hdr.msg_namelen = route.address_len;
    }
    m.msg_hdr.msg_iov = const_cast<iovec*>(d[i].iov);
    m.msg_hdr.msg_iovlen = d[i].iovcnt;
    messages_.push_back(m);
  }
  const int fd = route.egress->fd.get();
  size_t sent = 0, pos = 0;
  while (pos < n) {
    const int k = sendmmsg(fd, &messages_[pos], static_cast<unsigned>(std::min(n - pos, kMaxIov)), 0);
    if (k < 0) {
      if (errno == EINTR) continue;
      if (would_block(errno)) {
        if (wait_writable(fd, stop)) continue;
        outcome.interrupted = true;
        break;
      }
      count_failed(route, 1, errno, failures);
      ++outcome.failed;
      ++pos;  // skip the one that failed; the others still go
      continue;
    }
    size_t bytes = 0;
    for (int i = 0; i < k; ++i) bytes += messages_[pos + static_cast<size_t>(i)].msg_len;
    route.packets.add(static_cast<uint64_t>(k));
    route.bytes.add(bytes);
    route.last_error = 0;
    sent += static_cast<size_t>(k);
    pos += static_cast<size_t>(k);
  }
  return sent;
}

SendOutcome MulticastSender::send(const Datagram* datagrams, size_t count, std::vector<SendFailure>& failures,
                                  const Waker& stop) {
  SendOutcome out;
  const auto routes = snapshot();
  // Route by route, datagrams in order: runs of equal-sized datagrams go out as one GSO send where the kernel can,
  // the rest (and everything, where it cannot) with sendmmsg.
  for (const auto& route_ptr : *routes) {
    Route& route = *route_ptr;
    size_t d = 0;
    while (d < count && !out.interrupted) {
      const size_t run = gso_run(route, datagrams + d, count - d);
      if (run >= 2) {
        const int err = send_gso(route, datagrams + d, run, stop);
        if (err == EINVAL || err == EIO || err == EOPNOTSUPP || err == ENOPROTOOPT) {
          gso_ = false;  // not here: plain sends from now on (this run included)
          if (settings_.log)
            settings_.log(std::string("UDP GSO unavailable (") + std::strerror(err) + "), using sendmmsg");
          continue;
        }
        if (err == EINTR) {
          out.interrupted = true;
        } else if (err != 0) {
          count_failed(route, run, err, failures);
          out.failed += run;
        } else {
          out.sent += run;
        }
        d += run;
        continue;
      }
      // Up to the next run that GSO can take (all of it when GSO is off).
      size_t end = d + 1;
      while (end < count && (!gso_ || gso_run(route, datagrams + end, count - end) < 2)) ++end;
      out.sent += send_plain(route, datagrams + d, end - d, failures, stop, out);
      d = end;
    }
    if (out.interrupted) break;
  }
  return out;
}

std::vector<InterfaceEvent> MulticastSender::follow_interfaces(const InterfaceTable& table) {
  std::vector<InterfaceEvent> events;
  std::lock_guard<std::mutex> lock(lock_);
  std::vector<std::pair<std::shared_ptr<EgressSocket>, std::shared_ptr<EgressSocket>>> replaced;  // old, new
  for (auto& e : egresses_) {
    const std::string name = e->info.iface.name;
    const NetInterface* now = table.by_name(name);
    if (now == nullptr) {
      if (e->present)
        events.push_back({InterfaceEvent::Kind::Gone, name, 0,
                          "datagrams by it fail and are counted (send-errors) until it is back"});
      e->present = false;
      continue;
    }
    const bool recreated = !e->present || now->index != e->info.iface.index;
    const bool readdressed = !recreated && !now->has_address(e->info.source);
    if (recreated || readdressed) {
      // The old socket is pinned to an index or bound to an address that is no more: a new one takes its place
      // (and its port, once the old one lets go of it).
      e->fd.reset();
      std::shared_ptr<EgressSocket> fresh;
      std::string detail;
      try {
        fresh = open_egress(*now, e->for_group, e->info.reason);
        detail = "sending by index " + std::to_string(now->index) + " from " + fresh->info.source.to_string();
      } catch (const Error& err) {
        detail = std::string("cannot send by it yet: ") + err.what();
      }
      events.push_back(
          {recreated ? InterfaceEvent::Kind::Recreated : InterfaceEvent::Kind::Readdressed, name, now->index, detail});
      e->present = fresh != nullptr;
      if (fresh) replaced.emplace_back(e, fresh);
      continue;
    }
    if (e->up && !now->up) {
      e->up = false;
      events.push_back({InterfaceEvent::Kind::Down, name, now->index,
                        "datagrams by it fail and are counted (send-errors) until it is back"});
    } else if (!e->up && now->up) {
      e->up = true;
      events.push_back({InterfaceEvent::Kind::Up, name, now->index, "sending by it again"});
    }
  }
  if (replaced.empty()) return events;
  auto swap_in = [&](std::vector<std::shared_ptr<EgressSocket>>& list) {
    for (auto& e : list)
      for (const auto& [old, fresh] : replaced)
        if (e == old) e = fresh;
  };
  swap_in(egresses_);
  swap_in(iface_egresses_);
  // A new route list, its routes on the new sockets, their counters carried over (only this thread counts).
  auto routes = std::make_shared<RouteList>();
  for (const auto& r : *routes_) {
    auto copy = std::make_shared<Route>();
    copy->destination = r->destination;
    copy->added_as = r->added_as;
    copy->egress = r->egress;
    for (const auto& [old, fresh] : replaced)
      if (r->egress == old) copy->egress = fresh;
    const IpAddress to = link_scoped(r->destination.group)
                             ? r->destination.group.with_scope_id(copy->egress->info.iface.index)
                             : r->destination.group;
    copy->address_len = to.to_sockaddr(r->destination.port, copy->address);
    copy->connected = copy->egress == r->egress && r->connected;
    copy->packets.add(r->packets.get());
    copy->bytes.add(r->bytes.get());
    copy->errors.add(r->errors.get());
    routes->push_back(std::move(copy));
  }
  routes_ = std::move(routes);
  return events;
}

std::vector<MulticastSender::RouteStats> MulticastSender::route_stats() const {
  std::vector<RouteStats> out;
  for (const auto& r : *snapshot())
    out.push_back({r->destination, r->egress->info.iface.name, r->packets.get(), r->bytes.get(), r->errors.get()});
  return out;
}

}  // namespace mcastexpert
