// The sessions a SAP listener has heard: one entry per announced session (its o= line) per interface it arrived on,
// updated by a newer o= version or a new SDP, removed by a deletion or after a silence of several of its own announce
// periods, and never more than a cap however many a hostile network announces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ip_address.hpp"
#include "sap_packet.hpp"

namespace mcastexpert {

struct AnnouncedSession {
  std::string key;   // o= user, id, address, and the interface: what identifies it here
  std::string name;  // s=
  std::string sdp;
  uint64_t version = 0;  // o= version
  IpAddress origin;      // the SAP origin
  uint16_t hash = 0;
  unsigned ifindex = 0;  // the interface it was heard on
  std::string ifname;
  IpAddress sap_group;  // the group it was announced on
  int64_t first_heard_ns = 0;
  int64_t last_heard_ns = 0;
  int64_t period_ns = 0;  // between its last two announcements; 0 until heard twice
};

class SapDirectory {
 public:
  enum class Change { None, Added, Updated, Removed, Refused };

  // The most sessions kept: past it new ones are refused (Change::Refused), and the listener warns.
  static constexpr size_t kMaxSessions = 1000;
  // Silence that removes a session: 10 of its periods (30 s assumed until measured), at least 30 s, at most 1 h.
  static int64_t silence_limit_ns(int64_t period_ns);

  // One message heard at `now_ns` on an interface, sent to `group`. What it changed; `affected` gets the session it
  // changed as it is now (Removed: as it was; Refused: as it would have been).
  Change heard(const SapMessage& m, unsigned ifindex, const std::string& ifname, const IpAddress& group, int64_t now_ns,
               AnnouncedSession* affected = nullptr);
  // Removes the sessions silent for too long at `now_ns`; returns them as they were.
  std::vector<AnnouncedSession> expire(int64_t now_ns);

  const std::vector<AnnouncedSession>& sessions() const { return sessions_; }

 private:
  std::vector<AnnouncedSession> sessions_;
};

}  // namespace mcastexpert
