#include "ip_address.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace mcastexpert {

const char* family_name(Family family) {
  return family == Family::V4 ? "IPv4" : "IPv6";
}

int family_to_af(Family family) {
  return family == Family::V4 ? AF_INET : AF_INET6;
}

const char* scope_name(MulticastScope scope) {
  switch (scope) {
    case MulticastScope::NotMulticast: return "not multicast";
    case MulticastScope::InterfaceLocal: return "interface-local";
    case MulticastScope::LinkLocal: return "link-local";
    case MulticastScope::RealmLocal: return "realm-local";
    case MulticastScope::AdminLocal: return "admin-local";
    case MulticastScope::SiteLocal: return "site-local";
    case MulticastScope::OrganizationLocal: return "organization-local";
    case MulticastScope::Global: return "global";
  }
  return "unknown";
}

IpAddress::IpAddress() noexcept = default;

IpAddress IpAddress::from_v4(const in_addr& addr) noexcept {
  IpAddress a;
  a.family_ = Family::V4;
  a.v4_ = addr;
  return a;
}

IpAddress IpAddress::from_v6(const in6_addr& addr, uint32_t scope_id) noexcept {
  IpAddress a;
  a.family_ = Family::V6;
  a.v6_ = addr;
  a.scope_id_ = scope_id;
  return a;
}

std::optional<IpAddress> IpAddress::from_sockaddr(const sockaddr* sa) noexcept {
  if (sa == nullptr) return std::nullopt;
  if (sa->sa_family == AF_INET) return from_v4(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
  if (sa->sa_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(sa);
    return from_v6(sin6->sin6_addr, sin6->sin6_scope_id);
  }
  return std::nullopt;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  in_addr v4{};
  // inet_pton, unlike inet_aton, takes only the four-part dotted form: "10.1" is not an address here.
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) return from_v4(v4);
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) return from_v6(v6);
  return std::nullopt;
}

IpAddress IpAddress::any(Family family) noexcept {
  return family == Family::V4 ? from_v4(in_addr{htonl(INADDR_ANY)}) : from_v6(in6addr_any);
}

IpAddress IpAddress::with_scope_id(uint32_t scope_id) const noexcept {
  IpAddress a = *this;
  if (a.is_v6()) a.scope_id_ = scope_id;
  return a;
}

bool IpAddress::is_multicast() const noexcept {
  return is_v4() ? IN_MULTICAST(ntohl(v4_.s_addr)) : IN6_IS_ADDR_MULTICAST(&v6_);
}

bool IpAddress::is_unspecified() const noexcept {
  return is_v4() ? v4_.s_addr == htonl(INADDR_ANY) : IN6_IS_ADDR_UNSPECIFIED(&v6_);
}

bool IpAddress::is_loopback() const noexcept {
  return is_v4() ? (ntohl(v4_.s_addr) >> 24) == 127 : IN6_IS_ADDR_LOOPBACK(&v6_);
}

bool IpAddress::is_link_local_unicast() const noexcept {
  return is_v4() ? (ntohl(v4_.s_addr) >> 16) == 0xa9fe : IN6_IS_ADDR_LINKLOCAL(&v6_);
}

bool IpAddress::is_ssm() const noexcept {
  if (is_v4()) return (ntohl(v4_.s_addr) >> 24) == 232;
  // ff3x::/96: flags P and T set, prefix length 0, network prefix 0 (RFC 3306 §6, RFC 4607 §1).
  const uint8_t* b = v6_.s6_addr;
  if (b[0] != 0xff || (b[1] & 0xf0) != 0x30) return false;
  for (int i = 2; i < 12; ++i)
    if (b[i] != 0) return false;
  return true;
}

MulticastScope IpAddress::multicast_scope() const noexcept {
  if (!is_multicast()) return MulticastScope::NotMulticast;
  if (is_v4()) {
    const uint32_t a = ntohl(v4_.s_addr);
    if ((a >> 8) == 0xe00000) return MulticastScope::LinkLocal;       // 224.0.0.0/24
    if ((a >> 16) == 0xefff) return MulticastScope::SiteLocal;        // 239.255.0.0/16
    if ((a >> 24) == 0xef) return MulticastScope::OrganizationLocal;  // 239.0.0.0/8
    return MulticastScope::Global;
  }
  switch (v6_.s6_addr[1] & 0x0f) {
    case 0x1: return MulticastScope::InterfaceLocal;
    case 0x2: return MulticastScope::LinkLocal;
    case 0x3: return MulticastScope::RealmLocal;
    case 0x4: return MulticastScope::AdminLocal;
    case 0x5: return MulticastScope::SiteLocal;
    case 0x8: return MulticastScope::OrganizationLocal;
    default: return MulticastScope::Global;
  }
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_v4())
    inet_ntop(AF_INET, &v4_, buf, sizeof buf);
  else
    inet_ntop(AF_INET6, &v6_, buf, sizeof buf);
  return buf;
}

socklen_t IpAddress::to_sockaddr(uint16_t port, sockaddr_storage& out) const noexcept {
  std::memset(&out, 0, sizeof out);
  if (is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    sin->sin_addr = v4_;
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  sin6->sin6_addr = v6_;
  sin6->sin6_scope_id = scope_id_;
  return sizeof(sockaddr_in6);
}

bool IpAddress::same_address(const IpAddress& other) const noexcept {
  if (family_ != other.family_) return false;
  return is_v4() ? v4_.s_addr == other.v4_.s_addr : std::memcmp(&v6_, &other.v6_, sizeof v6_) == 0;
}

}  // namespace mcastexpert
