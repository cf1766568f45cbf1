#include "receiver.hpp"

#include <linux/errqueue.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "error.hpp"
#include "interface_spec.hpp"
#include "ipv6_switch.hpp"

#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29  // Linux >= 4.20; older headers lack the name
#endif

namespace mcastexpert {

namespace {

constexpr size_t kMaxDatagramV4 = 65507;  // 65535 - 20 (IPv4 header) - 8 (UDP header)
constexpr size_t kMaxDatagramV6 = 65527;  // 65535 - 8: the IPv6 payload length excludes its own header
constexpr size_t kFirstSocketPoll = 3;    // in wait()'s poll set: stop, recheck, the interface watcher, then sockets
constexpr size_t kControlSize =
    CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(timespec)) + 2 * CMSG_SPACE(sizeof(int)) + 64;

[[noreturn]] void invalid(const std::string& what, const std::string& hint) {
  throw Error(ErrorKind::InvalidSetting, what, hint);
}

// The RFC 3678 request naming one source of a group on an interface (for source joins and for blocks).
group_source_req source_request(const Membership& m, const IpAddress& source) {
  group_source_req req{};
  req.gsr_interface = m.ifindex;
  m.group.to_sockaddr(0, req.gsr_group);
  source.to_sockaddr(0, req.gsr_source);
  return req;
}

std::string sockaddr_text(const sockaddr_storage& ss) {
  const auto addr = IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss));
  return addr ? addr->to_string() : "?";
}

}  // namespace

struct MulticastReceiver::Scratch {
  size_t capacity = 0;
  size_t overflow_size = 0;
  std::vector<mmsghdr> messages;
  std::vector<iovec> iovecs;  // two per message: the caller's buffer, then this slot's overflow
  std::vector<uint8_t> overflow;
  std::vector<uint8_t> control;

  void ensure(size_t count, size_t max_datagram) {
    if (count <= capacity) return;
    capacity = count;
    overflow_size = max_datagram;
    messages.assign(count, mmsghdr{});
    iovecs.assign(count * 2, iovec{});
    overflow.assign(count * max_datagram, 0);
    control.assign(count * kControlSize, 0);
  }
};

MulticastReceiver::MulticastReceiver(const ReceiverSettings& settings, const InterfaceTable& table)
    : settings_(settings), scratch_(std::make_unique<Scratch>()) {
  about_setting("groups", [&] {
    if (settings_.groups.empty()) invalid("no multicast group to join", "list at least one group, e.g. 239.255.0.1");
    const auto family = common_family(settings_.groups);
    if (!family) invalid("the groups mix IPv4 and IPv6", "use one element per family");
    family_ = *family;
  });
  about_setting("sources", [&] {
    if (!settings_.sources.empty() && !settings_.block_sources.empty())
      invalid("both sources and block-sources are set",
              "use sources to receive only from some senders, or block-sources to receive from all but some");
  });
  for (const auto* list : {&settings_.sources, &settings_.block_sources})
    about_setting(list == &settings_.sources ? "sources" : "block-sources", [&] {
      for (const auto& s : *list)
        if (s.family() != family_)
          invalid("source " + s.to_string() + " is " + family_name(s.family()) + " but the groups are " +
                      family_name(family_),
                  "list sources of the groups' family");
    });

  stats_.group_packets = std::make_unique<ReceiverStats::Counter[]>(settings_.groups.size());
  stats_.group_bytes = std::make_unique<ReceiverStats::Counter[]>(settings_.groups.size());

  plan_memberships(table);
  stats_.leg_packets.resize(memberships_.size());
  // One socket per port, the port of the entries without their own first.
  std::vector<uint16_t> wanted;
  auto socket_for = [&](uint16_t port) {
    const auto it = std::find(wanted.begin(), wanted.end(), port);
    if (it != wanted.end()) return static_cast<size_t>(it - wanted.begin());
    wanted.push_back(port);
    return wanted.size() - 1;
  };
  for (auto& m : memberships_) m.socket = socket_for(settings_.groups[m.group_index].port.value_or(settings_.port));
  for (size_t i = 0; i < wanted.size(); ++i) open_socket(i, wanted[i]);
  for (auto& m : memberships_) m.port = ports_[m.socket];
  const bool any_default = std::any_of(settings_.groups.begin(), settings_.groups.end(),
                                       [](const GroupEntry& g) { return !g.port.has_value(); });
  port_ = any_default ? ports_[socket_for(settings_.port)] : ports_.front();
  join_all();
}

MulticastReceiver::~MulticastReceiver() = default;

size_t MulticastReceiver::max_datagram() const noexcept {
  return family_ == Family::V4 ? kMaxDatagramV4 : kMaxDatagramV6;
}

void MulticastReceiver::plan_memberships(const InterfaceTable& table) {
  // Which interfaces each group joins on: its own (@...), its %scope, the element's, or the default.
  const auto named =
      about_setting("iface", [&] { return resolve_interfaces(table, settings_.iface, InterfaceRole::Receive); });
  std::vector<NetInterface> defaults;
  for (size_t g = 0; g < settings_.groups.size(); ++g) {
    const auto& entry = settings_.groups[g];
    std::vector<NetInterface> on;
    if (!entry.interfaces.empty()) {
      on = about_setting("groups", [&] {
        return resolve_entry_interfaces(table, entry.to_string(), entry.interfaces, InterfaceRole::Receive);
      });
    } else if (!entry.scope.empty()) {
      on = about_setting("groups", [&] { return resolve_interfaces(table, entry.scope, InterfaceRole::Receive); });
    } else if (!named.empty()) {
      on = named;
    } else {
      if (entry.address.multicast_scope() <= MulticastScope::LinkLocal && entry.address.is_v6())
        about_setting("iface", [&] {
          invalid(entry.to_string() + " is a " + scope_name(entry.address.multicast_scope()) +
                      " group, which means nothing without an interface",
                  "name the interface to join it on (iface, or " + entry.address.to_string() + "%eth0)");
        });
      if (defaults.empty())
        defaults = about_setting("iface", [&] {
          try {
            return default_receive_interfaces(table, family_);
          } catch (const Error& e) {
            const std::string why = family_ == Family::V6 ? ipv6_disabled_note("all") : std::string();
            if (why.empty()) throw;
            throw Error(e.kind(), std::string(e.what()) + why, "enable it, or use IPv4 groups");
          }
        });
      on = defaults;
    }
    const bool by_default = entry.interfaces.empty() && entry.scope.empty() && named.empty();
    for (const auto& iface : on) {
      if (family_ == Family::V6 && ipv6_disabled(iface.name))
        about_setting(entry.interfaces.empty() && entry.scope.empty() ? "iface" : "groups", [&] {
          invalid("IPv6 is disabled on " + iface.name + " (net.ipv6.conf." + iface.name +
                      ".disable_ipv6 = 1): a join there can never receive anything",
                  "enable it (" + ipv6_enable_command(iface.name) + ") or name another interface");
        });
      Membership m{g, entry.address, iface.index, iface.name};
      m.by_default = by_default;
      m.up = iface.up;
      memberships_.push_back(m);
    }
  }

  for (const auto& iface : table.interfaces()) {
    if (iface.loopback) {
      loopback_indexes_.push_back(iface.index);
      continue;
    }
    for (const auto& a : iface.addresses)
      if (a.address.family() == family_) own_addresses_.push_back(a.address);
  }
}

void MulticastReceiver::open_socket(size_t index, uint16_t port) {
  UniqueFd fd = open_udp_socket(family_);
  const SocketOptions opt(fd.get(), settings_.log);
  if (settings_.reuse) opt.require_int(SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", 1);
  if (family_ == Family::V4) {
    // Without this, a wildcard-bound socket gets every group any socket of this host joined on the port.
    opt.require_int(IPPROTO_IP, IP_MULTICAST_ALL, "IP_MULTICAST_ALL", 0);
    opt.require_int(IPPROTO_IP, IP_PKTINFO, "IP_PKTINFO", 1);
    // What `mcastexpert recv` shows (hops left on arrival); the elements do not ask for it.
    if (settings_.report_ttl) opt.set_int(IPPROTO_IP, IP_RECVTTL, "IP_RECVTTL", 1);
  } else {
    opt.require_int(IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", 1);
    opt.set_int(IPPROTO_IPV6, IPV6_MULTICAST_ALL, "IPV6_MULTICAST_ALL", 0);  // pktinfo checks cover older kernels
    opt.require_int(IPPROTO_IPV6, IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO", 1);
    if (settings_.report_ttl) opt.set_int(IPPROTO_IPV6, IPV6_RECVHOPLIMIT, "IPV6_RECVHOPLIMIT", 1);
  }
  opt.set_int(SOL_SOCKET, SO_TIMESTAMPNS, "SO_TIMESTAMPNS", 1);
  // Lets the kernel hand over a burst of one flow's datagrams coalesced (when the sender used GSO, or the receiving
  // device does GRO) in one read; split again below. Older kernels refuse it, which costs nothing.
  opt.set_int(SOL_UDP, UDP_GRO, "UDP_GRO", 1);
  const int granted = settings_.buffer_size > 0 ? request_buffer_size(opt, fd.get(), true, settings_.buffer_size)
                                                : opt.get_int(SOL_SOCKET, SO_RCVBUF) / 2;
  if (index == 0) stats_.granted_buffer_size = granted;

  sockaddr_storage bind_addr{};
  const socklen_t len = IpAddress::any(family_).to_sockaddr(port, bind_addr);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&bind_addr), len) != 0) {
    const int err = errno;
    // A port of an entry's own is the groups property's; the others are the port property's.
    about_setting(port == settings_.port ? "port" : "groups", [&] {
      if (err == EADDRINUSE)
        throw Error(ErrorKind::Resource, "port " + std::to_string(port) + " is in use by another socket",
                    settings_.reuse ? "the other socket does not share its port: stop it or choose another port"
                                    : "allow sharing (reuse=true) or choose another port",
                    err);
      throw_system_error("cannot bind to port " + std::to_string(port), err,
                         err == EACCES ? privileged_port_hint("port") : std::string());
    });
  }
  ports_.push_back(bound_port(fd.get()));
  opt.log("bound to " + std::string(family_ == Family::V4 ? "0.0.0.0" : "[::]") + ":" + std::to_string(ports_.back()));
  sockets_.push_back(std::move(fd));
}

// The three joins a membership is made of, each on one socket; each returns 0 or the errno.
int MulticastReceiver::join_group_on(size_t socket, const Membership& m) const {
  group_req req{};
  req.gr_interface = m.ifindex;
  m.group.to_sockaddr(0, req.gr_group);
  return SocketOptions(sockets_[socket].get(), settings_.log)
      .set(family_ == Family::V4 ? IPPROTO_IP : IPPROTO_IPV6, MCAST_JOIN_GROUP, "MCAST_JOIN_GROUP", &req, sizeof req,
           m.group.to_string() + " on " + m.ifname);
}

int MulticastReceiver::join_source_on(size_t socket, const Membership& m, const IpAddress& source) const {
  const group_source_req req = source_request(m, source);
  return SocketOptions(sockets_[socket].get(), settings_.log)
      .set(family_ == Family::V4 ? IPPROTO_IP : IPPROTO_IPV6, MCAST_JOIN_SOURCE_GROUP, "MCAST_JOIN_SOURCE_GROUP", &req,
           sizeof req, m.group.to_string() + " on " + m.ifname + " from " + source.to_string());
}

int MulticastReceiver::block_source_on(size_t socket, const Membership& m, const IpAddress& source) const {
  const group_source_req req = source_request(m, source);
  return SocketOptions(sockets_[socket].get(), settings_.log)
      .set(family_ == Family::V4 ? IPPROTO_IP : IPPROTO_IPV6, MCAST_BLOCK_SOURCE, "MCAST_BLOCK_SOURCE", &req,
           sizeof req, m.group.to_string() + " on " + m.ifname + " blocking " + source.to_string());
}

// The first join a membership makes on its socket: of the group, or of its first source.
int MulticastReceiver::join_first(const Membership& m) const {
  return settings_.sources.empty() ? join_group_on(m.socket, m)
                                   : join_source_on(m.socket, m, settings_.sources.front());
}

void MulticastReceiver::join_all() {
  auto fail_join = [&](const std::string& what, int err) {
    if (err == ENOBUFS) {
      const bool sources = !settings_.sources.empty() || !settings_.block_sources.empty();
      const std::string sysctl =
          sources ? (family_ == Family::V4 ? "net.ipv4.igmp_max_msf" : "net.ipv6.mld_max_msf")
                  : (family_ == Family::V4 ? "net.ipv4.igmp_max_memberships" : "net.core.optmem_max");
      const std::string spread =
          settings_.reuse ? "" : ", or allow reuse=true so the groups can be spread over sockets";
      throw Error(ErrorKind::Resource, what + ": the kernel's limit per socket is reached",
                  "raise " + sysctl + " (sysctl -w " + sysctl + "=...)" + spread + ", or join fewer groups or sources",
                  err);
    }
    throw_system_error(what, err);
  };

  std::vector<size_t> joined(sockets_.size(), 0);  // memberships each socket holds
  for (size_t i = 0; i < memberships_.size(); ++i) {
    Membership& m = memberships_[i];
    int rc = join_first(m);
    if (rc == ENOBUFS && settings_.reuse && joined[m.socket] > 0) {
      // This socket holds as many groups as the kernel allows one (igmp_max_memberships, 20 by default): the
      // rest of its port's joins go to another socket on the same port, which receives only its own groups.
      const size_t full = m.socket;
      open_socket(sockets_.size(), ports_[full]);
      joined.push_back(0);
      for (size_t k = i; k < memberships_.size(); ++k)
        if (memberships_[k].socket == full) memberships_[k].socket = sockets_.size() - 1;
      if (settings_.log)
        settings_.log("socket " + std::to_string(full) + " holds " + std::to_string(joined[full]) +
                      " joins, the kernel's limit: the next go to socket " + std::to_string(m.socket));
      rc = join_first(m);
    }
    const std::string where = m.group.to_string() + " on " + m.ifname;
    if (rc != 0)
      fail_join(settings_.sources.empty()
                    ? "cannot join " + where
                    : "cannot join " + where + " for source " + settings_.sources.front().to_string(),
                rc);
    ++joined[m.socket];
    m.source_sockets.assign(settings_.sources.size(), m.socket);
    size_t socket = m.socket;
    for (size_t k = 1; k < settings_.sources.size(); ++k) {
      const auto& source = settings_.sources[k];
      int err = join_source_on(socket, m, source);
      if (err == ENOBUFS && settings_.reuse) {
        // This socket filters as many sources of the group as the kernel lets one (igmp_max_msf, 10 by default;
        // mld_max_msf, 64): the rest go to another socket on the same port, which gets only its own sources'
        // datagrams, so none arrives twice.
        open_socket(sockets_.size(), ports_[m.socket]);
        joined.push_back(1);
        socket = sockets_.size() - 1;
        if (settings_.log)
          settings_.log(where + ": socket " + std::to_string(m.source_sockets[k - 1]) +
                        " filters the kernel's limit of sources; source " + source.to_string() +
                        " and the next go to socket " + std::to_string(socket));
        err = join_source_on(socket, m, source);
      }
      if (err != 0) fail_join("cannot join " + where + " for source " + source.to_string(), err);
      m.source_sockets[k] = socket;
    }
    for (const auto& source : settings_.block_sources)
      if (const int err = block_source_on(m.socket, m, source))
        fail_join("cannot block source " + source.to_string() + " for " + where, err);
  }
  // What wait() polls: the two wakers (filled in per call), the interface watcher, then every socket.
  poll_fds_.assign(kFirstSocketPoll + sockets_.size(), pollfd{});
  poll_fds_[2] = {watcher_.fd(), POLLIN, 0};  // -1 (ignored by poll) without netlink
  for (size_t i = 0; i < sockets_.size(); ++i) poll_fds_[kFirstSocketPoll + i] = {sockets_[i].get(), POLLIN, 0};
}

// A membership joined again (rejoin-interval, an interface back or re-created) on the sockets join_all chose for
// it; a join the socket still holds (EADDRINUSE) counts as done.
int MulticastReceiver::join_membership(const Membership& m, std::string& failed) const {
  const std::string where = m.group.to_string() + " on " + m.ifname;
  auto held = [](int rc) { return rc == 0 || rc == EADDRINUSE; };
  for (size_t k = 0; k < settings_.sources.size(); ++k) {
    const auto& source = settings_.sources[k];
    const size_t socket = k < m.source_sockets.size() ? m.source_sockets[k] : m.socket;
    if (const int rc = join_source_on(socket, m, source); !held(rc)) {
      failed = "join " + where + " for source " + source.to_string();
      return rc;
    }
  }
  if (!settings_.sources.empty()) return 0;
  if (const int rc = join_group_on(m.socket, m); !held(rc)) {
    failed = "join " + where;
    return rc;
  }
  for (const auto& source : settings_.block_sources)
    if (const int rc = block_source_on(m.socket, m, source); !held(rc)) {
      failed = "block " + source.to_string() + " for " + where;
      return rc;
    }
  return 0;
}

void MulticastReceiver::leave_membership(const Membership& m) const {
  // On an interface that is gone the kernel has dropped the join already; the socket's own record goes with this.
  group_req req{};
  req.gr_interface = m.ifindex;
  m.group.to_sockaddr(0, req.gr_group);
  std::vector<size_t> sockets{m.socket};
  for (const size_t s : m.source_sockets)
    if (std::find(sockets.begin(), sockets.end(), s) == sockets.end()) sockets.push_back(s);
  for (const size_t s : sockets)
    SocketOptions(sockets_[s].get(), settings_.log)
        .set(family_ == Family::V4 ? IPPROTO_IP : IPPROTO_IPV6, MCAST_LEAVE_GROUP, "MCAST_LEAVE_GROUP", &req,
             sizeof req, m.group.to_string() + " on " + m.ifname + " (index " + std::to_string(m.ifindex) + ")");
}

std::string MulticastReceiver::rejoin() {
  // All leaves first: a group joined on one interface by two sockets (two ports) leaves the interface only when
  // both have let go, and only that makes the join that follows a report.
  for (const auto& m : memberships_)
    if (m.present) leave_membership(m);
  std::string failures;
  for (auto& m : memberships_) {
    if (!m.present) continue;
    std::string failed;
    if (const int rc = join_membership(m, failed))
      failures += (failures.empty() ? "" : "; ") + failed + ": " + std::strerror(rc);
  }
  return failures;
}

std::vector<InterfaceEvent> MulticastReceiver::follow_interfaces(const InterfaceTable& table, bool join_new) {
  std::vector<InterfaceEvent> events;
  auto note = [&](InterfaceEvent::Kind kind, const std::string& ifname, unsigned index, const std::string& detail) {
    for (const auto& e : events)
      if (e.kind == kind && e.ifname == ifname) return;
    events.push_back({kind, ifname, index, detail});
  };
  auto rejoin = [&](Membership& m, unsigned index) {
    m.ifindex = index;
    std::string failed;
    const int rc = join_membership(m, failed);
    m.present = rc == 0;
    if (rc != 0) m.ifindex = 0;
    return rc == 0 ? std::string() : "cannot " + failed + ": " + std::strerror(rc);
  };
  for (auto& m : memberships_) {
    const NetInterface* now = table.by_name(m.ifname);
    if (now == nullptr) {
      if (!m.present) continue;
      leave_membership(m);
      m.present = false;
      m.ifindex = 0;
      note(m.by_default ? InterfaceEvent::Kind::Dropped : InterfaceEvent::Kind::Gone, m.ifname, 0,
           m.by_default ? "left; joined again if it comes back" : "joined again by name if it comes back");
      continue;
    }
    if (!m.present || now->index != m.ifindex) {
      const bool was_present = m.present;
      if (m.present) leave_membership(m);
      const std::string error = rejoin(m, now->index);
      m.up = now->up;
      const auto kind = m.by_default && !was_present ? InterfaceEvent::Kind::Joined : InterfaceEvent::Kind::Recreated;
      note(kind, m.ifname, now->index, error.empty() ? "joined again on index " + std::to_string(now->index) : error);
      continue;
    }
    if (m.up && !now->up) {
      m.up = false;
      note(InterfaceEvent::Kind::Down, m.ifname, now->index, "nothing arrives by it until it is back");
    } else if (!m.up && now->up) {
      m.up = true;
      note(InterfaceEvent::Kind::Up, m.ifname, now->index, "the kernel reports the joins again");
    }
  }
  if (!join_new) return events;
  // The default interfaces: one that appeared since, and qualifies, is joined by every group that uses them.
  std::vector<NetInterface> qualifying;
  try {
    qualifying = default_receive_interfaces(table, family_);
  } catch (const Error&) {
    return events;  // none at all now
  }
  for (const auto& iface : qualifying) {
    const bool known = std::any_of(memberships_.begin(), memberships_.end(),
                                   [&](const Membership& m) { return m.by_default && m.ifname == iface.name; });
    if (known) continue;
    for (size_t g = 0; g < settings_.groups.size(); ++g) {
      const auto model = std::find_if(memberships_.begin(), memberships_.end(),
                                      [&](const Membership& m) { return m.by_default && m.group_index == g; });
      if (model == memberships_.end()) continue;
      Membership m = *model;
      m.ifname = iface.name;
      m.up = iface.up;
      const std::string error = rejoin(m, iface.index);
      memberships_.push_back(m);
      stats_.leg_packets.emplace_back();
      note(InterfaceEvent::Kind::Joined, iface.name, iface.index, error.empty() ? "joined" : error);
    }
  }
  return events;
}

void ReceiveSlot::copy(size_t offset, size_t len, uint8_t* out) const {
  if (offset < capacity) {
    const size_t n = std::min(len, capacity - offset);
    std::memcpy(out, data + offset, n);
    out += n;
    len -= n;
    offset = capacity;
  }
  if (len > 0) std::memcpy(out, overflow + (offset - capacity), len);
}

MulticastReceiver::WaitResult MulticastReceiver::wait(int timeout_ms, const Waker& stop, const Waker& recheck) {
  poll_fds_[0] = {stop.fd(), POLLIN, 0};
  poll_fds_[1] = {recheck.fd(), POLLIN, 0};
  while (true) {
    const int n = poll(poll_fds_.data(), poll_fds_.size(), timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_system_error("waiting for datagrams failed", errno);
    }
    if (n == 0) return WaitResult::TimedOut;
    if (poll_fds_[0].revents != 0) return WaitResult::Stopped;
    if (poll_fds_[1].revents != 0) return WaitResult::Recheck;
    if (poll_fds_[2].revents != 0) {
      if (watcher_.drain()) return WaitResult::InterfacesChanged;
      if (n == 1) continue;  // only netlink chatter that changes nothing here
    }
    return WaitResult::Readable;
  }
}

std::vector<int> MulticastReceiver::wait_fds() const {
  std::vector<int> fds;
  if (watcher_.valid()) fds.push_back(watcher_.fd());
  for (const auto& fd : sockets_) fds.push_back(fd.get());
  return fds;
}

uint64_t MulticastReceiver::kernel_drops() const {
  // The socket's own drop count (what SO_RXQ_OVFL would attach to every datagram), read only when asked.
  uint64_t drops = 0;
  for (const auto& fd : sockets_) {
    uint32_t info[SK_MEMINFO_VARS] = {};
    socklen_t len = sizeof info;
    if (getsockopt(fd.get(), SOL_SOCKET, SO_MEMINFO, info, &len) == 0 && len > SK_MEMINFO_DROPS * sizeof info[0])
      drops += info[SK_MEMINFO_DROPS];
  }
  return drops;
}

bool MulticastReceiver::is_own_address(const IpAddress& sender) const {
  return std::any_of(own_addresses_.begin(), own_addresses_.end(),
                     [&](const IpAddress& own) { return own.same_address(sender); });
}

void MulticastReceiver::judge(ReceiveSlot& slot, size_t socket, const std::optional<IpAddress>& dest) const {
  if (!dest || !dest->is_multicast()) {
    slot.verdict = Verdict::Unicast;
    return;
  }
  bool group_known = false;
  bool joined_here = false;
  for (size_t i = 0; i < memberships_.size(); ++i) {
    const auto& m = memberships_[i];
    if (!m.on_socket(socket) || !m.group.same_address(*dest)) continue;
    group_known = true;
    slot.group_index = m.group_index;
    if (m.ifindex == slot.ifindex) {
      joined_here = true;
      slot.membership = i;
      break;
    }
  }
  if (!group_known) {
    slot.verdict = Verdict::WrongGroup;
    return;
  }
  if (!joined_here) {
    slot.verdict = Verdict::WrongInterface;
    return;
  }
  const auto sender = IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&slot.sender));
  auto listed = [&](const std::vector<IpAddress>& list) {
    return sender && std::any_of(list.begin(), list.end(), [&](const IpAddress& s) { return s.same_address(*sender); });
  };
  if ((!settings_.sources.empty() && !listed(settings_.sources)) || listed(settings_.block_sources)) {
    slot.verdict = Verdict::DisallowedSource;
    return;
  }
  if (!settings_.loop &&
      std::find(loopback_indexes_.begin(), loopback_indexes_.end(), slot.ifindex) == loopback_indexes_.end() &&
      sender && is_own_address(*sender)) {
    slot.verdict = Verdict::OwnTraffic;
    return;
  }
  // Judged last, so that an empty datagram that is foreign anyway is counted as what makes it foreign.
  slot.verdict = slot.length == 0 ? Verdict::Empty : Verdict::Accepted;
}

size_t MulticastReceiver::receive(ReceiveSlot* slots, size_t count) {
  if (count == 0) return 0;
  scratch_->ensure(count, max_datagram());
  size_t filled = 0;
  const size_t first = next_socket_;
  next_socket_ = (next_socket_ + 1) % sockets_.size();
  size_t sources = 0;
  for (size_t k = 0; k < sockets_.size() && filled < count; ++k) {
    const size_t socket = (first + k) % sockets_.size();
    const size_t n = receive_from(socket, slots + filled, count - filled, filled);
    sources += n > 0;
    filled += n;
  }
  last_mixed_ = sources > 1;
  return filled;
}

// One recvmmsg on `socket` into `slots`, using the scratch from index `first_scratch` on.
size_t MulticastReceiver::receive_from(size_t socket, ReceiveSlot* slots, size_t count, size_t first_scratch) {
  auto& s = *scratch_;
  mmsghdr* messages = &s.messages[first_scratch];
  for (size_t i = 0; i < count; ++i) {
    const size_t k = first_scratch + i;
    iovec* iov = &s.iovecs[k * 2];
    iov[0] = {slots[i].data, slots[i].capacity};
    iov[1] = {&s.overflow[k * s.overflow_size], s.overflow_size};
    msghdr& h = messages[i].msg_hdr;
    h.msg_name = &slots[i].sender;
    h.msg_namelen = sizeof slots[i].sender;
    h.msg_iov = iov;
    h.msg_iovlen = 2;
    h.msg_control = &s.control[k * kControlSize];
    h.msg_controllen = kControlSize;
    h.msg_flags = 0;
  }
  const int n = recvmmsg(sockets_[socket].get(), messages, static_cast<unsigned>(count), MSG_DONTWAIT, nullptr);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    throw_system_error("receiving datagrams failed", errno);
  }

  uint64_t accepted = 0, accepted_bytes = 0;
  std::array<uint64_t, kVerdictCount> judged{};
  for (int i = 0; i < n; ++i) {
    ReceiveSlot& slot = slots[i];
    const msghdr& h = messages[i].msg_hdr;
    slot.length = messages[i].msg_len;
    slot.overflow = slot.length > slot.capacity ? &s.overflow[(first_scratch + i) * s.overflow_size] : nullptr;
    slot.port = ports_[socket];
    slot.segment_size = 0;
    slot.segments = 1;
    slot.arrival_realtime_ns = 0;
    slot.ifindex = 0;
    slot.ttl = -1;

    std::optional<IpAddress> destination;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        destination = IpAddress::from_v4(info.ipi_addr);
        slot.ifindex = static_cast<unsigned>(info.ipi_ifindex);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        destination = IpAddress::from_v6(info.ipi6_addr);
        slot.ifindex = info.ipi6_ifindex;
      } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
        timespec ts{};
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        slot.arrival_realtime_ns = static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
      } else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
                 (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
        std::memcpy(&slot.ttl, CMSG_DATA(c), sizeof slot.ttl);
      } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int segment = 0;
        std::memcpy(&segment, CMSG_DATA(c), sizeof segment);
        if (segment > 0 && slot.length > static_cast<size_t>(segment)) {
          slot.segment_size = static_cast<size_t>(segment);
          slot.segments = (slot.length + slot.segment_size - 1) / slot.segment_size;
        }
      }
    }
    judge(slot, socket, destination);
    if (slot.verdict == Verdict::Accepted) {
      accepted += slot.segments;
      accepted_bytes += slot.length;
      stats_.group_packets[slot.group_index].add(slot.segments);
      stats_.group_bytes[slot.group_index].add(slot.length);
      stats_.leg_packets[slot.membership].add(slot.segments);
    } else {
      judged[static_cast<size_t>(slot.verdict)] += slot.segments;
      if (settings_.log)
        settings_.log("dropped a datagram from " + sockaddr_text(slot.sender) + " to " +
                      (destination ? destination->to_string() : std::string("?")) + " on interface " +
                      std::to_string(slot.ifindex) + ": " + rejection_reason(slot.verdict));
    }
  }
  stats_.packets.add(accepted);
  stats_.bytes.add(accepted_bytes);
  for (const auto& r : kRejections)
    if (const uint64_t k = judged[static_cast<size_t>(r.verdict)])
      stats_.by_verdict[static_cast<size_t>(r.verdict)].add(k);
  return static_cast<size_t>(n);
}

}  // namespace mcastexpert
