#include "interface_table.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "error.hpp"
#include "unique_fd.hpp"

namespace mcastexpert {
namespace {

unsigned prefix_length_of(const sockaddr* netmask) {
  if (netmask == nullptr) return 0;
  const uint8_t* bytes = nullptr;
  size_t len = 0;
  if (netmask->sa_family == AF_INET) {
    bytes = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(netmask)->sin_addr);
    len = 4;
  } else if (netmask->sa_family == AF_INET6) {
    bytes = reinterpret_cast<const sockaddr_in6*>(netmask)->sin6_addr.s6_addr;
    len = 16;
  }
  unsigned bits = 0;
  for (size_t i = 0; i < len; ++i) bits += static_cast<unsigned>(__builtin_popcount(bytes[i]));
  return bits;
}

unsigned read_mtu(int fd, const std::string& name) {
  ifreq req{};
  std::strncpy(req.ifr_name, name.c_str(), IFNAMSIZ - 1);
  return ioctl(fd, SIOCGIFMTU, &req) == 0 ? static_cast<unsigned>(req.ifr_mtu) : 0;
}

}  // namespace

bool NetInterface::has_address(Family family) const {
  return std::any_of(addresses.begin(), addresses.end(),
                     [&](const InterfaceAddress& a) { return a.address.family() == family; });
}

bool NetInterface::has_address(const IpAddress& address) const {
  return std::any_of(addresses.begin(), addresses.end(),
                     [&](const InterfaceAddress& a) { return a.address.same_address(address); });
}

std::optional<IpAddress> NetInterface::source_address_for(const IpAddress& group) const {
  std::optional<IpAddress> fallback;
  const bool want_link_local =
      group.is_v6() && group.multicast_scope() <= MulticastScope::LinkLocal && group.is_multicast();
  for (const auto& a : addresses) {
    if (a.address.family() != group.family()) continue;
    if (group.is_v4() || a.address.is_link_local_unicast() == want_link_local) return a.address;
    if (!fallback) fallback = a.address;
  }
  return fallback;
}

InterfaceTable::InterfaceTable(std::vector<NetInterface> interfaces) : interfaces_(std::move(interfaces)) {
  std::sort(interfaces_.begin(), interfaces_.end(),
            [](const NetInterface& a, const NetInterface& b) { return a.index < b.index; });
}

InterfaceTable InterfaceTable::from_system() {
  ifaddrs* raw = nullptr;
  if (getifaddrs(&raw) != 0) throw_system_error("cannot list the network interfaces (getifaddrs)", errno);
  const std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> list(raw, &freeifaddrs);
  UniqueFd ioctl_fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));

  std::vector<NetInterface> interfaces;
  auto find_or_add = [&](const ifaddrs* ifa) -> NetInterface& {
    auto it = std::find_if(interfaces.begin(), interfaces.end(),
                           [&](const NetInterface& i) { return i.name == ifa->ifa_name; });
    if (it != interfaces.end()) return *it;
    NetInterface& iface = interfaces.emplace_back();
    iface.name = ifa->ifa_name;
    iface.index = if_nametoindex(ifa->ifa_name);
    iface.up = (ifa->ifa_flags & IFF_UP) != 0;
    iface.multicast = (ifa->ifa_flags & IFF_MULTICAST) != 0;
    iface.loopback = (ifa->ifa_flags & IFF_LOOPBACK) != 0;
    if (ioctl_fd) iface.mtu = read_mtu(ioctl_fd.get(), iface.name);
    return iface;
  };

  // Linux lists every interface once as AF_PACKET (addresses or not), then once per IP address.
  for (const ifaddrs* ifa = list.get(); ifa != nullptr; ifa = ifa->ifa_next) {
    NetInterface& iface = find_or_add(ifa);
    if (ifa->ifa_addr == nullptr || ifa->ifa_addr->sa_family == AF_PACKET) continue;
    auto addr = IpAddress::from_sockaddr(ifa->ifa_addr);
    if (!addr) continue;
    // Only link-local IPv6 addresses need their interface to be meaningful; keep the others scope-free so that
    // comparisons with typed addresses are plain.
    if (addr->is_v6()) addr = addr->with_scope_id(addr->is_link_local_unicast() ? iface.index : 0);
    iface.addresses.push_back({*addr, prefix_length_of(ifa->ifa_netmask)});
  }
  return InterfaceTable(std::move(interfaces));
}

const NetInterface* InterfaceTable::by_index(unsigned index) const noexcept {
  for (const auto& i : interfaces_)
    if (i.index == index) return &i;
  return nullptr;
}

const NetInterface* InterfaceTable::by_name(std::string_view name) const noexcept {
  for (const auto& i : interfaces_)
    if (i.name == name) return &i;
  return nullptr;
}

std::vector<const NetInterface*> InterfaceTable::by_address(const IpAddress& address) const {
  std::vector<const NetInterface*> found;
  for (const auto& i : interfaces_) {
    if (address.scope_id() != 0 && address.scope_id() != i.index) continue;
    if (i.has_address(address)) found.push_back(&i);
  }
  return found;
}

std::string InterfaceTable::names() const {
  std::string text;
  for (const auto& i : interfaces_) text += (text.empty() ? "" : ", ") + i.name + " (" + std::to_string(i.index) + ")";
  return text.empty() ? "none" : text;
}

}  // namespace mcastexpert
