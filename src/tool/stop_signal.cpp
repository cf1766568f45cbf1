#include "stop_signal.hpp"

#include <atomic>
#include <csignal>

namespace mcastexpert::tool {
namespace {

std::atomic<const Waker*> g_stop{nullptr};

extern "C" void on_signal(int /*signal*/) {
  if (const Waker* w = g_stop.load()) w->wake();
}

}  // namespace

void wake_on_signals(const Waker& stop) {
  g_stop.store(&stop);
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

}  // namespace mcastexpert::tool
