#include "link_watch.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>

namespace mcastexpert {

LinkWatcher::LinkWatcher() noexcept : fd_(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE)) {
  if (!fd_) return;
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (bind(fd_.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) fd_.reset();
}

bool LinkWatcher::drain() noexcept {
  if (!fd_) return false;
  bool changed = false;
  alignas(nlmsghdr) char buffer[16384];
  while (true) {
    ssize_t len = recv(fd_.get(), buffer, sizeof buffer, MSG_DONTWAIT);
    if (len < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {  // the queue overflowed: events were lost, so look at everything again
        changed = true;
        continue;
      }
      return changed;  // EAGAIN: all read
    }
    for (auto* msg = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(msg, static_cast<unsigned>(len));
         msg = NLMSG_NEXT(msg, len)) {
      switch (msg->nlmsg_type) {
        case RTM_NEWLINK:
        case RTM_DELLINK:
        case RTM_NEWADDR:
        case RTM_DELADDR: changed = true; break;
        default: break;
      }
    }
  }
}

const char* describe(InterfaceEvent::Kind kind) noexcept {
  switch (kind) {
    case InterfaceEvent::Kind::Down: return "down";
    case InterfaceEvent::Kind::Up: return "up";
    case InterfaceEvent::Kind::Gone: return "gone";
    case InterfaceEvent::Kind::Recreated: return "recreated";
    case InterfaceEvent::Kind::Joined: return "joined";
    case InterfaceEvent::Kind::Dropped: return "dropped";
    case InterfaceEvent::Kind::Readdressed: return "readdressed";
  }
  return "changed";
}

}  // namespace mcastexpert
