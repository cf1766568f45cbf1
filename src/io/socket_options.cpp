#include "socket_options.hpp"

#include <netinet/in.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"

namespace mcastexpert {

int SocketOptions::set(int level, int name, const char* option_name, const void* value, socklen_t len,
                       const std::string& shown_value) const {
  const int rc = setsockopt(fd_, level, name, value, len) == 0 ? 0 : errno;
  log(std::string("fd ") + std::to_string(fd_) + ": " + option_name + " = " + shown_value + ": " +
      (rc == 0 ? "ok" : std::strerror(rc)));
  return rc;
}

int SocketOptions::set_int(int level, int name, const char* option_name, int value) const {
  return set(level, name, option_name, &value, sizeof value, std::to_string(value));
}

void SocketOptions::require_int(int level, int name, const char* option_name, int value) const {
  if (const int rc = set_int(level, name, option_name, value); rc != 0)
    throw_system_error(std::string("cannot set ") + option_name + " to " + std::to_string(value), rc);
}

int SocketOptions::get_int(int level, int name) const {
  int value = 0;
  socklen_t len = sizeof value;
  return getsockopt(fd_, level, name, &value, &len) == 0 ? value : -1;
}

UniqueFd open_udp_socket(Family family) {
  UniqueFd fd(socket(family_to_af(family), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP));
  if (!fd)
    throw_system_error(std::string("cannot open an ") + family_name(family) + " UDP socket", errno,
                       errno == EAFNOSUPPORT ? std::string("this kernel runs without ") + family_name(family) +
                                                   " (for IPv6: ipv6.disable=1 on its command line?): use groups of "
                                                   "the other family, or enable it"
                                             : std::string());
  return fd;
}

std::string privileged_port_hint(const std::string& property) {
  return "ports below net.ipv4.ip_unprivileged_port_start (usually 1024) need privilege (CAP_NET_BIND_SERVICE): "
         "choose a higher " +
         property + ", or 0 for any";
}

uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

int request_buffer_size(const SocketOptions& options, int fd, bool receive, int requested) {
  (void)fd;
  const int plain = receive ? SO_RCVBUF : SO_SNDBUF;
  const int force = receive ? SO_RCVBUFFORCE : SO_SNDBUFFORCE;
  options.set_int(SOL_SOCKET, plain, receive ? "SO_RCVBUF" : "SO_SNDBUF", requested);
  int granted = options.get_int(SOL_SOCKET, plain) / 2;
  if (granted < requested) {
    // Needs CAP_NET_ADMIN; without it this fails with EPERM and the capped size stays.
    options.set_int(SOL_SOCKET, force, receive ? "SO_RCVBUFFORCE" : "SO_SNDBUFFORCE", requested);
    granted = options.get_int(SOL_SOCKET, plain) / 2;
  }
  return granted;
}

}  // namespace mcastexpert
