#include "error.hpp"

#include <cstring>

namespace mcastexpert {

void throw_system_error(const std::string& what, int sys_errno, std::string hint) {
  throw Error(ErrorKind::Resource, what + ": " + std::strerror(sys_errno), std::move(hint), sys_errno);
}

}  // namespace mcastexpert
