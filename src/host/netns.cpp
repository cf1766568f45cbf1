#include "netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

namespace mcastexpert {

namespace {
constexpr const char* kOwnNamespace = "/proc/thread-self/ns/net";

unsigned long inode_of(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 ? static_cast<unsigned long>(st.st_ino) : 0;
}
}  // namespace

NetnsPin::NetnsPin() noexcept : fd_(open(kOwnNamespace, O_RDONLY | O_CLOEXEC)) {
  if (fd_) inode_ = inode_of(fd_.get());
}

NetnsPin::Entered::Entered(const NetnsPin& pin) noexcept {
  if (!pin.fd_) return;
  UniqueFd own(open(kOwnNamespace, O_RDONLY | O_CLOEXEC));
  if (!own || inode_of(own.get()) == pin.inode_) return;
  if (setns(pin.fd_.get(), CLONE_NEWNET) == 0) previous = std::move(own);
}

NetnsPin::Entered::~Entered() {
  if (previous) setns(previous.get(), CLONE_NEWNET);
}

}  // namespace mcastexpert
