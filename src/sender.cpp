#include "sender.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "interface_spec.hpp"
#include "route_lookup.hpp"

namespace mcastexpert {

struct MulticastSender::Route {
  Destination destination;
  size_t egress = 0;
  sockaddr_storage address{};
  socklen_t address_len = 0;
  // The egress socket is connected to this destination: sends name no address, and the kernel reuses the route it
  // looked up at connect() instead of making one per datagram (multicast routes are not cached otherwise).
  bool connected = false;
  uint64_t packets = 0, bytes = 0, errors = 0;
  int last_error = 0;
};

namespace {

[[noreturn]] void invalid(const std::string& what, const std::string& hint) {
  throw Error(ErrorKind::InvalidSetting, what, hint);
}

bool link_scoped(const IpAddress& group) {
  return group.is_v6() && group.multicast_scope() <= MulticastScope::LinkLocal;
}

}  // namespace

std::string Destination::to_string() const {
  return (group.is_v6() ? "[" + group.to_string() + "]" : group.to_string()) + ":" + std::to_string(port);
}

MulticastSender::MulticastSender(const SenderSettings& settings, const InterfaceTable& table) : settings_(settings) {
  about_setting("groups", [&] {
    if (settings_.groups.empty()) invalid("no destination group", "list at least one group, e.g. 239.255.0.1");
    const auto family = common_family(settings_.groups);
    if (!family) invalid("the groups mix IPv4 and IPv6", "use one element per family");
    family_ = *family;
    for (const auto& entry : settings_.groups)
      if (!entry.scope.empty())
        invalid(entry.to_string() + " has a %scope", "name the interface to send by with iface, not in the group");
  });
  about_setting("ttl", [&] {
    if (settings_.ttl < 0 || settings_.ttl > 255)
      invalid("TTL " + std::to_string(settings_.ttl) + " is out of range", "use 0 to 255");
  });
  about_setting("qos-dscp", [&] {
    if (settings_.dscp < -1 || settings_.dscp > 63)
      invalid("DSCP " + std::to_string(settings_.dscp) + " is out of range", "use 0 to 63, or -1 to leave it alone");
  });

  about_setting("iface", [&] {
    for (const auto& iface : resolve_interfaces(table, settings_.iface, InterfaceRole::Send))
      open_egress(iface, settings_.groups.front().address, false);
  });
  for (const auto& entry : settings_.groups)
    about_setting(settings_.iface.empty() ? "iface" : "groups", [&] {
      add_routes_for({entry.address, entry.port.value_or(settings_.port)}, &table);
    });
}

MulticastSender::~MulticastSender() = default;

size_t MulticastSender::max_datagram() const noexcept {
  return family_ == Family::V4 ? 65507 : 65527;
}

Egress MulticastSender::open_egress(const NetInterface& iface, const IpAddress& for_group, bool from_route) {
  const auto source = iface.source_address_for(for_group);
  if (!source)
    throw Error(ErrorKind::InvalidSetting,
                "interface " + iface.name + " has no " + family_name(family_) + " address to send from",
                "give it one, or name another interface");

  UniqueFd fd = open_udp_socket(family_);
  // Sends block (the kernel's queue pushes back on a too-fast pipeline) rather than fail with EAGAIN.
  fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  const SocketOptions opt(fd.get(), settings_.log);
  opt.log("egress " + iface.name + " (index " + std::to_string(iface.index) + ", source " + source->to_string() +
          (from_route ? ", chosen by the routing table)" : ", named by the user)"));
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
  if (settings_.buffer_size > 0)
    granted_buffer_size_ = request_buffer_size(opt, fd.get(), false, settings_.buffer_size);
  else if (granted_buffer_size_ == 0)
    granted_buffer_size_ = opt.get_int(SOL_SOCKET, SO_SNDBUF) / 2;

  sockaddr_storage bind_addr{};
  const IpAddress bound = source->is_link_local_unicast() ? source->with_scope_id(iface.index) : *source;
  // With an ephemeral port, the first socket's port is tried for the others too: receivers then see one source port
  // whichever network a copy came by.
  bool bound_ok = false;
  if (settings_.bind_port == 0 && !egresses_.empty()) {
    const socklen_t len = bound.to_sockaddr(egresses_.front().source_port, bind_addr);
    bound_ok = bind(fd.get(), reinterpret_cast<sockaddr*>(&bind_addr), len) == 0;
  }
  const socklen_t len = bound.to_sockaddr(settings_.bind_port, bind_addr);
  if (!bound_ok && bind(fd.get(), reinterpret_cast<sockaddr*>(&bind_addr), len) != 0) {
    const int err = errno;
    if (err == EADDRINUSE || err == EACCES) {
      Error e(ErrorKind::Resource,
              "cannot bind to " + bound.to_string() + " port " + std::to_string(settings_.bind_port) + " on " +
                  iface.name + ": " + std::strerror(err),
              "that source port is taken: choose another bind-port, or 0 for any", err);
      e.set_setting("bind-port");
      throw e;
    }
    throw Error(ErrorKind::Resource,
                "cannot bind to " + bound.to_string() + " port " + std::to_string(settings_.bind_port) + " on " +
                    iface.name + ": " + std::strerror(err),
                err == EADDRINUSE ? "that source port is taken: choose another bind-port, or 0 for any" : "", err);
  }
  Egress egress{iface, bound, bound_port(fd.get()), from_route};
  opt.log("bound to " + bound.to_string() + " port " + std::to_string(egress.source_port));
  egresses_.push_back(egress);
  sockets_.push_back(std::move(fd));
  egress_connected_.push_back(false);
  connected_to_.emplace_back();
  return egress;
}

size_t MulticastSender::egress_for_route_default(const IpAddress& group, const InterfaceTable& table) {
  if (link_scoped(group))
    invalid(group.to_string() + " is a " + std::string(scope_name(group.multicast_scope())) +
                " group: the routing table cannot say which link it is for",
            "name the interface to send by (iface)");
  const auto route = lookup_route(group);
  if (!route)
    throw Error(ErrorKind::NotFound, "no route for " + group.to_string() + ", so no interface to send by",
                "name the interface (iface), or add a default or multicast route");
  const NetInterface* iface = table.by_index(route->interface_index);
  if (iface == nullptr)
    throw Error(ErrorKind::NotFound,
                "the route for " + group.to_string() + " names interface index " +
                    std::to_string(route->interface_index) + ", which is gone",
                "name the interface (iface)");
  check_multicast_capable(*iface, iface->name);
  for (size_t e = 0; e < egresses_.size(); ++e)
    if (egresses_[e].iface.index == iface->index) return e;
  open_egress(*iface, group, true);
  return egresses_.size() - 1;
}

void MulticastSender::add_routes_for(const Destination& d, const InterfaceTable* table) {
  auto add_route = [&](size_t egress) {
    for (const auto& r : routes_)
      if (r->egress == egress && r->destination.group.same_address(d.group) && r->destination.port == d.port) return;
    auto route = std::make_unique<Route>();
    route->destination = d;
    route->egress = egress;
    // A link-local group needs the interface as scope id, or the kernel cannot tell which link it means.
    const IpAddress to = link_scoped(d.group) ? d.group.with_scope_id(egresses_[egress].iface.index) : d.group;
    route->address_len = to.to_sockaddr(d.port, route->address);
    // Each socket is connected to the first destination it serves (a socket usually serves one); the others are
    // named on every send, which a connected UDP socket allows.
    if (!egress_connected_[egress] &&
        connect(sockets_[egress].get(), reinterpret_cast<const sockaddr*>(&route->address), route->address_len) == 0) {
      egress_connected_[egress] = true;
      connected_to_[egress] = d;
    }
    route->connected = egress_connected_[egress] && connected_to_[egress].group.same_address(d.group) &&
                       connected_to_[egress].port == d.port;
    routes_.push_back(std::move(route));
  };
  if (!settings_.iface.empty()) {
    for (size_t e = 0; e < egresses_.size(); ++e) add_route(e);
    return;
  }
  if (table == nullptr) throw Error(ErrorKind::NotFound, "no interface table to route " + d.group.to_string());
  add_route(egress_for_route_default(d.group, *table));
}

bool MulticastSender::add_destination(const IpAddress& group, uint16_t port, const InterfaceTable* table) {
  if (!group.is_multicast()) invalid(group.to_string() + " is not a multicast address", "add multicast groups only");
  if (group.family() != family_)
    invalid(group.to_string() + " is " + family_name(group.family()) + " but this sender sends " + family_name(family_),
            "use a second element for the other family");
  if (port == 0) invalid("port 0 is not a destination port", "use 1 to 65535");
  const size_t before = routes_.size();
  add_routes_for({group, port}, table);
  return routes_.size() != before;
}

bool MulticastSender::remove_destination(const IpAddress& group, uint16_t port) {
  const size_t before = routes_.size();
  routes_.erase(std::remove_if(routes_.begin(), routes_.end(),
                               [&](const std::unique_ptr<Route>& r) {
                                 return r->destination.group.same_address(group) && r->destination.port == port;
                               }),
                routes_.end());
  return routes_.size() != before;
}

void MulticastSender::clear_destinations() {
  routes_.clear();
}

namespace {

// UDP GSO (UDP_SEGMENT): the kernel cuts one large send into datagrams of gso_size. The whole must fit one IP
// packet's length field and at most 64 segments (UDP_MAX_SEGMENTS on older kernels).
constexpr size_t kGsoMaxBytes = 65000;
constexpr size_t kGsoMaxSegments = 64;
constexpr size_t kMaxIov = 1024;  // UIO_MAXIOV

}  // namespace

void MulticastSender::count_sent(Route& route, size_t packets, size_t bytes) {
  route.packets += packets;
  route.bytes += bytes;
  route.last_error = 0;
}

void MulticastSender::count_failed(Route& route, size_t packets, int err, std::vector<SendFailure>& failures) {
  route.errors += packets;
  if (route.last_error != err) {
    route.last_error = err;
    failures.push_back({route.destination, egresses_[route.egress].iface.name, err});
  }
}

size_t MulticastSender::gso_run(const Route& route, const Datagram* d, size_t n) const {
  if (!gso_ || n < 2) return 1;
  const size_t size = d[0].length;
  const size_t headers = family_ == Family::V4 ? 28 : 48;
  const unsigned mtu = egresses_[route.egress].iface.mtu;
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

// Sends `n` datagrams as one GSO send. Returns 0, or the errno; EINVAL/EIO/EOPNOTSUPP/ENOPROTOOPT mean the kernel or
// the device cannot do it here.
int MulticastSender::send_gso(Route& route, const Datagram* d, size_t n) {
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
  while (sendmsg(sockets_[route.egress].get(), &msg, 0) < 0) {
    if (errno != EINTR) return errno;
  }
  count_sent(route, n, total);
  return 0;
}

size_t MulticastSender::send_plain(Route& route, const Datagram* d, size_t n, std::vector<SendFailure>& failures) {
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
  size_t sent = 0, pos = 0;
  while (pos < n) {
    const int k =
        sendmmsg(sockets_[route.egress].get(), &messages_[pos], static_cast<unsigned>(std::min(n - pos, kMaxIov)), 0);
    if (k < 0) {
      if (errno == EINTR) continue;
      count_failed(route, 1, errno, failures);
      ++pos;  // skip the one that failed; the others still go
      continue;
    }
    size_t bytes = 0;
    for (int i = 0; i < k; ++i) bytes += messages_[pos + static_cast<size_t>(i)].msg_len;
    count_sent(route, static_cast<size_t>(k), bytes);
    sent += static_cast<size_t>(k);
    pos += static_cast<size_t>(k);
  }
  return sent;
}

size_t MulticastSender::send(const Datagram* datagrams, size_t count, std::vector<SendFailure>& failures) {
  size_t sent = 0;
  // Route by route, datagrams in order: runs of equal-sized datagrams go out as one GSO send where the kernel can,
  // the rest (and everything, where it cannot) with sendmmsg.
  for (auto& route_ptr : routes_) {
    Route& route = *route_ptr;
    size_t d = 0;
    while (d < count) {
      const size_t run = gso_run(route, datagrams + d, count - d);
      if (run >= 2) {
        const int err = send_gso(route, datagrams + d, run);
        if (err == EINVAL || err == EIO || err == EOPNOTSUPP || err == ENOPROTOOPT) {
          gso_ = false;  // not here: plain sends from now on (this run included)
          if (settings_.log)
            settings_.log(std::string("UDP GSO unavailable (") + std::strerror(err) + "), using sendmmsg");
          continue;
        }
        if (err != 0)
          count_failed(route, run, err, failures);
        else
          sent += run;
        d += run;
        continue;
      }
      // Up to the next run that GSO can take (all of it when GSO is off).
      size_t end = d + 1;
      while (end < count && (!gso_ || gso_run(route, datagrams + end, count - end) < 2)) ++end;
      sent += send_plain(route, datagrams + d, end - d, failures);
      d = end;
    }
  }
  return sent;
}

std::vector<MulticastSender::RouteStats> MulticastSender::route_stats() const {
  std::vector<RouteStats> out;
  for (const auto& r : routes_)
    out.push_back({r->destination, egresses_[r->egress].iface.name, r->packets, r->bytes, r->errors});
  return out;
}

uint64_t MulticastSender::total_errors() const {
  uint64_t n = 0;
  for (const auto& r : routes_) n += r->errors;
  return n;
}

}  // namespace mcastexpert
