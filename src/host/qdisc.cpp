#include "qdisc.hpp"

#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

#include "unique_fd.hpp"

namespace mcastexpert {

std::string root_qdisc_kind(unsigned ifindex) {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) return "";
  struct {
    nlmsghdr header;
    tcmsg tc;
  } request{};
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(tcmsg));
  request.header.nlmsg_type = RTM_GETQDISC;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = 1;
  request.tc.tcm_family = AF_UNSPEC;
  request.tc.tcm_ifindex = static_cast<int>(ifindex);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd.get(), &request, request.header.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    return "";
  std::string kind;
  alignas(nlmsghdr) char reply[16384];
  while (true) {
    ssize_t len = recv(fd.get(), reply, sizeof reply, 0);
    if (len <= 0) return kind;
    for (auto* msg = reinterpret_cast<nlmsghdr*>(reply); NLMSG_OK(msg, static_cast<unsigned>(len));
         msg = NLMSG_NEXT(msg, len)) {
      if (msg->nlmsg_type == NLMSG_DONE || msg->nlmsg_type == NLMSG_ERROR) return kind;
      if (msg->nlmsg_type != RTM_NEWQDISC) continue;
      const auto* tc = reinterpret_cast<const tcmsg*>(NLMSG_DATA(msg));
      // The dump may list every interface's qdiscs: keep this one's root.
      if (tc->tcm_ifindex != static_cast<int>(ifindex) || tc->tcm_parent != TC_H_ROOT || !kind.empty()) continue;
      int attr_len = static_cast<int>(msg->nlmsg_len - NLMSG_LENGTH(sizeof(tcmsg)));
      for (auto* attr =
               reinterpret_cast<rtattr*>(reinterpret_cast<char*>(NLMSG_DATA(msg)) + NLMSG_ALIGN(sizeof(tcmsg)));
           RTA_OK(attr, attr_len); attr = RTA_NEXT(attr, attr_len))
        if (attr->rta_type == TCA_KIND)
          kind.assign(static_cast<const char*>(RTA_DATA(attr)),
                      strnlen(static_cast<const char*>(RTA_DATA(attr)), RTA_PAYLOAD(attr)));
    }
  }
}

}  // namespace mcastexpert
