#include "route_lookup.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "error.hpp"
#include "unique_fd.hpp"

namespace mcastexpert {
namespace {

// What one RTM_NEWROUTE answer says.
struct RouteAnswer {
  unsigned char type = 0;
  unsigned char dst_len = 0;
  unsigned table = 0;
  unsigned oif = 0;
  std::optional<IpAddress> prefsrc;
};

struct Request {
  nlmsghdr header;
  rtmsg route;
  char attributes[64];
};

// Sends one request and collects the routes of the answer (several for a dump). nullopt-like empty vector plus
// `unreachable` when the kernel says there is no route.
std::vector<RouteAnswer> ask(Request& request, Family family, bool& unreachable) {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) throw_system_error("cannot open a netlink socket to ask the routing table", errno);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd.get(), &request, request.header.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    throw_system_error("cannot ask the routing table", errno);

  std::vector<RouteAnswer> answers;
  alignas(nlmsghdr) char reply[32768];
  while (true) {
    ssize_t len = recv(fd.get(), reply, sizeof reply, 0);
    if (len < 0) throw_system_error("no answer from the routing table", errno);
    for (auto* msg = reinterpret_cast<nlmsghdr*>(reply); NLMSG_OK(msg, static_cast<unsigned>(len));
         msg = NLMSG_NEXT(msg, len)) {
      if (msg->nlmsg_type == NLMSG_DONE) return answers;
      if (msg->nlmsg_type == NLMSG_ERROR) {
        const int err = -reinterpret_cast<nlmsgerr*>(NLMSG_DATA(msg))->error;
        if (err == 0) return answers;
        if (err == ENETUNREACH || err == EHOSTUNREACH || err == ENETDOWN) {
          unreachable = true;
          return answers;
        }
        throw_system_error("the routing table refused to answer", err);
      }
      if (msg->nlmsg_type != RTM_NEWROUTE) continue;
      const auto* route = reinterpret_cast<const rtmsg*>(NLMSG_DATA(msg));
      RouteAnswer answer;
      answer.type = route->rtm_type;
      answer.dst_len = route->rtm_dst_len;
      answer.table = route->rtm_table;
      int attr_len = static_cast<int>(RTM_PAYLOAD(msg));
      for (auto* attr = RTM_RTA(route); RTA_OK(attr, attr_len); attr = RTA_NEXT(attr, attr_len)) {
        if (attr->rta_type == RTA_OIF) {
          std::memcpy(&answer.oif, RTA_DATA(attr), sizeof answer.oif);
        } else if (attr->rta_type == RTA_TABLE) {
          std::memcpy(&answer.table, RTA_DATA(attr), sizeof answer.table);
        } else if (attr->rta_type == RTA_MULTIPATH && answer.oif == 0) {
          // A multipath default route: take its first next hop's interface.
          const auto* hop = reinterpret_cast<const rtnexthop*>(RTA_DATA(attr));
          answer.oif = static_cast<unsigned>(hop->rtnh_ifindex);
        } else if (attr->rta_type == RTA_PREFSRC) {
          if (family == Family::V4) {
            in_addr a{};
            std::memcpy(&a, RTA_DATA(attr), sizeof a);
            answer.prefsrc = IpAddress::from_v4(a);
          } else {
            in6_addr a{};
            std::memcpy(&a, RTA_DATA(attr), sizeof a);
            answer.prefsrc = IpAddress::from_v6(a);
          }
        }
      }
      answers.push_back(answer);
    }
    if (!(request.header.nlmsg_flags & NLM_F_DUMP)) return answers;
  }
}

Request make_request(Family family, unsigned flags) {
  Request request{};
  request.header.nlmsg_type = RTM_GETROUTE;
  request.header.nlmsg_flags = static_cast<unsigned short>(NLM_F_REQUEST | flags);
  request.header.nlmsg_seq = 1;
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  request.route.rtm_family = static_cast<unsigned char>(family_to_af(family));
  return request;
}

bool usable(const RouteAnswer& a) {
  return a.oif != 0 && a.type != RTN_UNREACHABLE && a.type != RTN_BLACKHOLE && a.type != RTN_PROHIBIT;
}

// The interface of the main table's default route of a family, if there is one.
std::optional<RouteChoice> default_route(Family family) {
  Request request = make_request(family, NLM_F_DUMP);
  bool unreachable = false;
  for (const auto& a : ask(request, family, unreachable))
    if (a.dst_len == 0 && a.table == RT_TABLE_MAIN && a.type == RTN_UNICAST && a.oif != 0)
      return RouteChoice{a.oif, a.prefsrc, 0};
  return std::nullopt;
}

Request route_get_request(const IpAddress& destination, bool fib_match) {
  const bool v6 = destination.is_v6();
  Request request = make_request(destination.family(), 0);
  if (fib_match) request.route.rtm_flags = RTM_F_FIB_MATCH;
  request.route.rtm_dst_len = v6 ? 128 : 32;
  const size_t addr_len = v6 ? sizeof(in6_addr) : sizeof(in_addr);
  auto* rta = reinterpret_cast<rtattr*>(request.attributes);
  rta->rta_type = RTA_DST;
  rta->rta_len = static_cast<unsigned short>(RTA_LENGTH(addr_len));
  std::memcpy(RTA_DATA(rta),
              v6 ? static_cast<const void*>(&destination.v6()) : static_cast<const void*>(&destination.v4()), addr_len);
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg)) + RTA_ALIGN(rta->rta_len);
  return request;
}

}  // namespace

std::optional<RouteChoice> lookup_route(const IpAddress& destination) {
  // IPv6: ask for the matching route itself (RTM_F_FIB_MATCH), to tell a real multicast route from the ff00::/8 that
  // the kernel puts in the local table of *every* interface — for that one it answers with whichever interface came
  // first, which says nothing about the network, so the default route's interface is used instead, as for IPv4.
  const bool v6 = destination.is_v6();
  Request request = route_get_request(destination, v6);
  bool unreachable = false;
  const auto answers = ask(request, destination.family(), unreachable);
  if (unreachable || answers.empty() || !usable(answers.front())) return std::nullopt;
  const auto& a = answers.front();
  if (v6 && destination.is_multicast() && a.table == RT_TABLE_LOCAL && a.dst_len == 8) return default_route(Family::V6);
  RouteChoice choice{a.oif, a.prefsrc, a.dst_len};
  if (!v6) {
    // IPv4 answers with the destination itself (/32); the matching route's own prefix says whether a multicast
    // route or the default one chose the interface.
    Request match = route_get_request(destination, true);
    bool none = false;
    const auto matched = ask(match, destination.family(), none);
    choice.matched_prefix_length = none || matched.empty() ? 0 : matched.front().dst_len;
  }
  return choice;
}

}  // namespace mcastexpert
