// The machine's network interfaces, as one snapshot: names, indexes, flags and every address.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ip_address.hpp"

namespace mcastexpert {

// The reach of a unicast address, as `ip addr` shows it.
enum class AddressScope { Host, Link, Global };

struct InterfaceAddress {
  IpAddress address;  // IPv6 link-local addresses carry the interface index as scope id
  unsigned prefix_length = 0;

  AddressScope scope() const {
    if (address.is_loopback()) return AddressScope::Host;
    return address.is_link_local_unicast() ? AddressScope::Link : AddressScope::Global;
  }
};

struct NetInterface {
  std::string name;
  unsigned index = 0;
  bool up = false;
  bool multicast = false;
  bool loopback = false;
  unsigned mtu = 0;
  std::vector<InterfaceAddress> addresses;

  bool has_address(Family family) const;
  bool has_address(const IpAddress& address) const;  // same bytes, scope ignored
  // The address a sender on this interface uses as its source for `group`: of the group's family, and for IPv6 a
  // link-local one for link-scope groups, a wider one (if any) otherwise. nullopt when there is none of the family.
  std::optional<IpAddress> source_address_for(const IpAddress& group) const;
};

class InterfaceTable {
 public:
  InterfaceTable() = default;
  explicit InterfaceTable(std::vector<NetInterface> interfaces);
  // Reads the interfaces of the network namespace of the calling thread. Throws Error(Resource) if it cannot.
  static InterfaceTable from_system();

  const std::vector<NetInterface>& interfaces() const noexcept { return interfaces_; }
  const NetInterface* by_index(unsigned index) const noexcept;
  const NetInterface* by_name(std::string_view name) const noexcept;
  // Every interface holding `address` (scope ignored unless the address has a scope id: then only that index).
  std::vector<const NetInterface*> by_address(const IpAddress& address) const;
  // "lo (1), eth0 (2), eth1 (3)" — for error messages that list what exists.
  std::string names() const;

 private:
  std::vector<NetInterface> interfaces_;
};

}  // namespace mcastexpert
