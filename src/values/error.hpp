// One error type for the whole core: what failed (naming the value), and what the user can do about it.
#pragma once

#include <stdexcept>
#include <string>

namespace mcastexpert {

enum class ErrorKind {
  InvalidSetting,  // the user's input is wrong: fix the setting
  NotFound,        // something the input names does not exist here (an interface, a route)
  Resource,        // the system refused (socket, bind, join, permissions, limits)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message, std::string hint = {}, int sys_errno = 0)
      : std::runtime_error(message), kind_(kind), hint_(std::move(hint)), sys_errno_(sys_errno) {}

  ErrorKind kind() const noexcept { return kind_; }
  // How to fix it, in a sentence; may be empty.
  const std::string& hint() const noexcept { return hint_; }
  // The errno behind a Resource error, 0 otherwise.
  int sys_errno() const noexcept { return sys_errno_; }
  // Message and hint together, as one line for a log or an exception text.
  std::string full() const { return hint_.empty() ? what() : std::string(what()) + ". " + hint_; }
  // The setting at fault ("groups", "iface", ...: the settings structs' field names, which the elements' properties
  // share), when the core knows it.
  const std::string& setting() const noexcept { return setting_; }
  void set_setting(std::string setting) {
    if (setting_.empty()) setting_ = std::move(setting);
  }

 private:
  ErrorKind kind_;
  std::string setting_;
  std::string hint_;
  int sys_errno_;
};

// Runs f(); an Error it throws leaves marked as being about `setting` (unless it already names one).
template <typename F>
auto about_setting(const char* setting, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (Error& e) {
    e.set_setting(setting);
    throw;
  }
}

// Throws a Resource error for a failed system call: "<what>: <strerror(errno)>".
[[noreturn]] void throw_system_error(const std::string& what, int sys_errno, std::string hint = {});

}  // namespace mcastexpert
