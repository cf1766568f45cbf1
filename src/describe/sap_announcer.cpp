#include "sap_announcer.hpp"

#include <cstring>

#include "address_list.hpp"
#include "error.hpp"
#include "sap_packet.hpp"

namespace mcastexpert {

IpAddress sap_group_for(const IpAddress& stream_group) {
  in6_addr a{};
  a.s6_addr[0] = 0xff;
  a.s6_addr[1] = static_cast<uint8_t>(stream_group.is_v6() ? (stream_group.v6().s6_addr[1] & 0x0f) : 0x05);
  if (a.s6_addr[1] < 2) a.s6_addr[1] = 2;
  a.s6_addr[13] = 0x02;
  a.s6_addr[14] = 0x7f;
  a.s6_addr[15] = 0xfe;
  return IpAddress::from_v6(a);
}

SapAnnouncer::SapAnnouncer(const SapAnnouncerSettings& settings, const InterfaceTable& table) {
  if (settings.groups.empty()) throw Error(ErrorKind::InvalidSetting, "no SAP group to announce on", "name one");
  auto make = [&](const std::string& iface) {
    SenderSettings s;
    for (const auto& g : settings.groups) s.destinations.push_back(Destination{g, kSapPort, {}});
    s.iface = iface;
    s.ttl = settings.ttl;
    s.loop = settings.loop;
    s.gso = false;
    s.log = settings.log;
    senders_.push_back(std::make_unique<MulticastSender>(s, table));
  };
  const auto interfaces = split_interface_list(settings.iface);
  if (interfaces.empty()) make("");
  for (const auto& i : interfaces) make(i);
}

size_t SapAnnouncer::announce(const std::string& sdp, bool deletion) {
  size_t sent = 0;
  Waker never;
  std::vector<SendFailure> failures;
  for (auto& sender : senders_) {
    const auto egresses = sender->egresses();
    if (egresses.empty()) continue;
    const auto packet = build_sap(SapMessage{deletion, egresses.front().source, sap_hash(sdp), sdp});
    const iovec piece{const_cast<uint8_t*>(packet.data()), packet.size()};
    Datagram d;
    d.iov = &piece;
    d.iovcnt = 1;
    d.length = packet.size();
    sent += sender->send(&d, 1, failures, never).sent;
  }
  return sent;
}

std::vector<Egress> SapAnnouncer::egresses() const {
  std::vector<Egress> all;
  for (const auto& s : senders_)
    for (const auto& e : s->egresses()) all.push_back(e);
  return all;
}

}  // namespace mcastexpert
