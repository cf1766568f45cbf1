// Watching the kernel's interfaces and addresses change (rtnetlink): a socket subscribed to link and address
// events, for a poll() the element already makes. It says only *that* something changed; what changed is found by
// comparing a fresh InterfaceTable with what the element runs on, which also covers events the socket missed (a
// full queue).
#pragma once

#include <string>

#include "unique_fd.hpp"

namespace mcastexpert {

class LinkWatcher {
 public:
  // Never throws: without netlink (valid() false) the element runs as before, without following changes.
  LinkWatcher() noexcept;
  bool valid() const noexcept { return fd_.valid(); }
  int fd() const noexcept { return fd_.get(); }

  // Reads every waiting event without blocking; true when any was a link or address change (or events were lost).
  bool drain() noexcept;

 private:
  UniqueFd fd_;
};

// What changed for an interface an element uses, for it to report and act on.
struct InterfaceEvent {
  enum class Kind {
    Down,         // the link went down: nothing arrives or leaves by it until it is back
    Up,           // back up
    Gone,         // deleted
    Recreated,    // deleted and made again under the same name (a new index): joined or pinned again
    Joined,       // receive default: a new interface that qualifies, joined
    Dropped,      // receive default: an interface that went away or no longer qualifies, left
    Readdressed,  // its address changed: the sender's socket moved to the new one
  };
  Kind kind;
  std::string ifname;
  unsigned ifindex = 0;  // the new one for Recreated/Joined
  std::string detail;    // what was done, for the message
};

const char* describe(InterfaceEvent::Kind kind) noexcept;

}  // namespace mcastexpert
