// Setting socket options so that every one is logged with its value and result (GST_DEBUG=mcastexpert*:6 then
// explains any pipeline), and sockets the core opens.
#pragma once

#include <sys/socket.h>

#include <functional>
#include <string>

#include "ip_address.hpp"
#include "unique_fd.hpp"

namespace mcastexpert {

// Where the core's debug lines go; the plugin points it at GST_DEBUG. May be empty.
using DebugLog = std::function<void(const std::string&)>;

class SocketOptions {
 public:
  SocketOptions(int fd, DebugLog log) : fd_(fd), log_(std::move(log)) {}

  // setsockopt(level, name, value): returns 0 or the errno, and logs "NAME = value: ok|error".
  int set(int level, int name, const char* option_name, const void* value, socklen_t len,
          const std::string& shown_value) const;
  int set_int(int level, int name, const char* option_name, int value) const;
  // Like set_int, but a failure throws Error(Resource) naming the option.
  void require_int(int level, int name, const char* option_name, int value) const;
  int get_int(int level, int name) const;
  void log(const std::string& line) const {
    if (log_) log_(line);
  }

 private:
  int fd_;
  DebugLog log_;
};

// A non-blocking, close-on-exec UDP socket of the family. Throws Error(Resource).
UniqueFd open_udp_socket(Family family);

// The fix for EACCES from bind(): a low port needs privilege. `property` names the setting to change.
std::string privileged_port_hint(const std::string& property);

// The local port a bound socket got (to read back port 0).
uint16_t bound_port(int fd);

// Asks for a kernel buffer of `requested` bytes (SO_RCVBUF or SO_SNDBUF), with the FORCE variant when the plain one
// is capped by net.core.rmem_max / wmem_max and the process may exceed it. Returns the size granted (as requested,
// i.e. half of what the kernel reports, since Linux doubles the value for its bookkeeping).
int request_buffer_size(const SocketOptions& options, int fd, bool receive, int requested);

}  // namespace mcastexpert
