// The network namespace an object was made in, kept so that what it reads later (the interface table, after a
// change) comes from the same namespace, whichever thread asks. A process runs in one namespace almost always; a
// test lab (or a router application) moves threads between several, and GStreamer's thread pools reuse threads.
#pragma once

#include "unique_fd.hpp"

namespace mcastexpert {

class NetnsPin {
 public:
  NetnsPin() noexcept;  // the calling thread's namespace

  // Runs `f` in the pinned namespace: at once when the calling thread is in it (the usual case, no privilege
  // needed), else after entering it with setns() and returning after (which needs CAP_SYS_ADMIN over it).
  template <typename F>
  auto run(F&& f) const {
    const Entered entered(*this);
    return f();
  }

 private:
  struct Entered {
    explicit Entered(const NetnsPin& pin) noexcept;
    ~Entered();
    Entered(const Entered&) = delete;
    Entered& operator=(const Entered&) = delete;
    UniqueFd previous;  // the thread's own namespace, to go back to; invalid when it was already the pinned one
  };
  UniqueFd fd_;
  unsigned long inode_ = 0;
};

}  // namespace mcastexpert
