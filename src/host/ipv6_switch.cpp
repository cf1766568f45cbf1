#include "ipv6_switch.hpp"

#include <cstdio>

namespace mcastexpert {

bool ipv6_disabled(const std::string& ifname) {
  if (ifname.empty() || ifname.find('/') != std::string::npos) return false;
  FILE* f = std::fopen(("/proc/sys/net/ipv6/conf/" + ifname + "/disable_ipv6").c_str(), "r");
  if (f == nullptr) return false;
  int value = 0;
  const bool read = std::fscanf(f, "%d", &value) == 1;
  std::fclose(f);
  return read && value == 1;
}

std::string ipv6_enable_command(const std::string& ifname) {
  return "sysctl -w net.ipv6.conf." + (ipv6_disabled("all") ? std::string("all") : ifname) + ".disable_ipv6=0";
}

std::string ipv6_disabled_note(const std::string& ifname) {
  if (!ipv6_disabled(ifname)) return {};
  return " (IPv6 is disabled on " + (ifname == "all" ? std::string("this host") : ifname) + ": " +
         ipv6_enable_command(ifname) + ")";
}

}  // namespace mcastexpert
