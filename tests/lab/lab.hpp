// For C++ tests that run inside `tests/lab/lab run TOPOLOGY -- test-binary`: the topology's facts, and a guard that
// moves the calling thread into one of the lab's hosts (its network namespace) for as long as it lives.
//
// Sockets keep the namespace they were made in, so a test can make a receiver "on" host rx and a sender "on" host
// txa from one thread, one after the other. Interface look-ups (and so an element's start) use the namespace of the
// thread that makes them.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace lab {

inline bool inside() {
  return std::getenv("LAB_INSIDE") != nullptr;
}

// A topology fact, e.g. fact("RX_ETH0_IPV4") reads LAB_RX_ETH0_IPV4. Throws if the lab did not set it.
inline std::string fact(const std::string& name) {
  const char* value = std::getenv(("LAB_" + name).c_str());
  if (value == nullptr) throw std::runtime_error("lab fact LAB_" + name + " is not set: run inside tests/lab/lab");
  return value;
}

inline unsigned fact_index(const std::string& name) {
  return static_cast<unsigned>(std::stoul(fact(name)));
}

class InHost {
 public:
  explicit InHost(const std::string& host) : previous_(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) {
    const std::string path = "/run/netns/" + host;
    const int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (previous_ < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
      if (target >= 0) close(target);
      if (previous_ >= 0) close(previous_);
      throw std::runtime_error("cannot enter lab host " + host + " (" + path + ")");
    }
    close(target);
  }
  ~InHost() {
    if (setns(previous_, CLONE_NEWNET) != 0) std::abort();  // a thread left in the wrong host would lie to later tests
    close(previous_);
  }
  InHost(const InHost&) = delete;
  InHost& operator=(const InHost&) = delete;

 private:
  int previous_;
};

}  // namespace lab
