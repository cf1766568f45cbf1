// An IPv4 or IPv6 address (IPv6 with its scope id), and what kind of multicast address it is.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mcastexpert {

enum class Family { V4, V6 };

const char* family_name(Family family);  // "IPv4" / "IPv6"
int family_to_af(Family family);         // AF_INET / AF_INET6

// The reach of a multicast group. IPv6 takes it from the 4-bit scope field (RFC 4291 §2.7); IPv4 from the
// well-known blocks (224.0.0.0/24 never leaves the link, 239.255.0.0/16 is the local scope of RFC 2365).
enum class MulticastScope {
  NotMulticast,
  InterfaceLocal,  // ff01::/16 — loopback only
  LinkLocal,       // ff02::/16, 224.0.0.0/24 — needs an interface to mean anything
  RealmLocal,
  AdminLocal,
  SiteLocal,  // ff05::/16, 239.255.0.0/16
  OrganizationLocal,
  Global,
};

const char* scope_name(MulticastScope scope);

class IpAddress {
 public:
  // 0.0.0.0.
  IpAddress() noexcept;
  static IpAddress from_v4(const in_addr& addr) noexcept;
  static IpAddress from_v6(const in6_addr& addr, uint32_t scope_id = 0) noexcept;
  // From a sockaddr_in / sockaddr_in6; nullopt for any other family.
  static std::optional<IpAddress> from_sockaddr(const sockaddr* sa) noexcept;
  // Parses a plain address ("239.1.2.3", "ff15::1"); no brackets, no %scope, no port. nullopt if it is not one.
  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress any(Family family) noexcept;

  Family family() const noexcept { return family_; }
  bool is_v4() const noexcept { return family_ == Family::V4; }
  bool is_v6() const noexcept { return family_ == Family::V6; }
  const in_addr& v4() const noexcept { return v4_; }
  const in6_addr& v6() const noexcept { return v6_; }
  uint32_t scope_id() const noexcept { return scope_id_; }
  IpAddress with_scope_id(uint32_t scope_id) const noexcept;

  bool is_multicast() const noexcept;
  bool is_unspecified() const noexcept;
  bool is_loopback() const noexcept;
  // 169.254.0.0/16 or fe80::/10: an address that is only unique together with its interface.
  bool is_link_local_unicast() const noexcept;
  // A source-specific multicast group: 232.0.0.0/8 or ff3x::/96 (RFC 4607).
  bool is_ssm() const noexcept;
  MulticastScope multicast_scope() const noexcept;

  // Canonical text without the scope id ("ff15::1", "239.1.2.3").
  std::string to_string() const;

  // Fills a sockaddr_in/sockaddr_in6 for this address and port; returns its length.
  socklen_t to_sockaddr(uint16_t port, sockaddr_storage& out) const noexcept;

  // Equal address bytes, whatever the scope id.
  bool same_address(const IpAddress& other) const noexcept;
  friend bool operator==(const IpAddress& a, const IpAddress& b) noexcept {
    return a.same_address(b) && a.scope_id_ == b.scope_id_;
  }
  friend bool operator!=(const IpAddress& a, const IpAddress& b) noexcept { return !(a == b); }

 private:
  Family family_ = Family::V4;
  in_addr v4_{};
  in6_addr v6_{};
  uint32_t scope_id_ = 0;
};

}  // namespace mcastexpert
