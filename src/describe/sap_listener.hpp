// Listening for SAP (RFC 2974): the one listener the tool, the device provider and the source's sap-session share.
// It joins the SAP groups on the named interfaces only (IPv4 and IPv6 alike: one receiver per family), reads and
// checks every packet, files what it hears in a SapDirectory by the interface it arrived on, forgets the sessions
// that fall silent, follows interfaces that come and go, and joins again when it has heard nothing for a while (a
// snooping switch without a querier forgets memberships; SAP is exactly the quiet kind of traffic that then stops).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "address_list.hpp"
#include "receiver.hpp"
#include "sap_directory.hpp"
#include "waker.hpp"

namespace mcastexpert {

// Where gear in the field announces: Dante, AES67 devices, aes67-linux-daemon and PipeWire's AES67 setup on
// 239.255.255.255; FFmpeg and VLC on 224.2.127.254; PipeWire's RTP modules by default on 224.0.0.56; IPv6 on
// ff0X::2:7ffe by scope (2 link, 5 site, 8 organisation).
constexpr char kDefaultSapGroupsV4[] = "239.255.255.255,224.2.127.254,224.0.0.56";
constexpr char kDefaultSapGroupsV6[] = "ff02::2:7ffe,ff05::2:7ffe,ff08::2:7ffe";
// A list of SAP groups as users give it: either family or both, each with its own :port, an IPv6 %scope.
inline constexpr GroupListRules kSapGroupRules{true, false, true, false};

struct SapListenerSettings {
  // The SAP groups, either family or both, each with its own port if not 9875. Empty: the defaults of both
  // families, IPv6 where the interfaces have it.
  std::vector<GroupEntry> groups;
  std::string iface;  // interface specifiers; empty: every interface the source joins on by default
  bool loop = true;   // an announcer on this host is heard too
  // Silence after which every join is made again (and again after each further such silence); 0: never.
  int64_t rejoin_after_ns = int64_t{60} * 1000000000;
  DebugLog log;
};

// What one listen() heard change.
struct SapEvent {
  enum class Kind {
    Added,    // a session heard for the first time (on this interface)
    Updated,  // a newer version of its SDP
    Deleted,  // its announcer said it ended
    Expired,  // silent for longer than its announce period allows
    Refused,  // one more than SapDirectory::kMaxSessions: not kept (reported once)
  };
  Kind kind;
  AnnouncedSession session;  // as it is now; Deleted, Expired: as it was
};

class SapListener {
 public:
  // Joins the groups. Throws Error naming what is wrong: an interface that is not there, a group that is not one,
  // no family of the groups joinable anywhere.
  explicit SapListener(const SapListenerSettings& settings);
  ~SapListener();
  SapListener(const SapListener&) = delete;
  SapListener& operator=(const SapListener&) = delete;

  // Waits up to timeout_ms (-1: no limit) for announcements and returns with what changed in `events` (possibly
  // nothing: the time passed, or the packets changed nothing). False when `stop` was woken (not cleared here).
  bool listen(int timeout_ms, const Waker& stop, std::vector<SapEvent>& events);

  const SapDirectory& directory() const { return directory_; }
  // "eth0, eth1": the interfaces listened on now.
  std::string interfaces() const;
  // "239.255.255.255, ff02::2:7ffe, ...": the groups joined.
  std::string groups() const;
  // Why a family of the default groups is not listened on ("" when both are): for the log.
  const std::string& skipped() const { return skipped_; }

 private:
  void read(MulticastReceiver& receiver, std::vector<SapEvent>& events);
  void rejoin_if_quiet(int64_t now);
  void refresh_default_v6();

  SapListenerSettings settings_;
  std::vector<std::unique_ptr<MulticastReceiver>> receivers_;  // one per family
  InterfaceTable table_;
  SapDirectory directory_;
  std::unique_ptr<SlotBatch> slots_;
  std::string skipped_;
  bool warned_refused_ = false;
  bool follow_v6_defaults_ = false;           // IPv6 on the default interfaces, followed as they change
  std::string v6_interfaces_;                 // ... the ones it is pinned to now
  MulticastReceiver* v6_receiver_ = nullptr;  // ... and its receiver (one of receivers_), if any
  int64_t last_heard_ns_ = 0;                 // a datagram, or the last rejoin
};

}  // namespace mcastexpert
