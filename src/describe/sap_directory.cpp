#include "sap_directory.hpp"

#include <algorithm>
#include <sstream>

namespace mcastexpert {

namespace {

constexpr int64_t kSecond = 1000000000;

struct Origin {
  std::string id;  // "user sess-id address"
  uint64_t version = 0;
  std::string name;
};

// The o= and s= lines of an SDP, without parsing the rest (a deletion may carry the o= line alone).
bool origin_of(const std::string& sdp, Origin& out) {
  std::istringstream in(sdp);
  bool have = false;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("o=", 0) == 0) {
      std::istringstream w(line.substr(2));
      std::string user, id, version, net, type, address;
      if (!(w >> user >> id >> version >> net >> type >> address)) return false;
      out.id = user;
      out.id.append(" ").append(id).append(" ").append(address);
      out.version = std::strtoull(version.c_str(), nullptr, 10);
      have = true;
    } else if (line.rfind("s=", 0) == 0) {
      out.name = line.substr(2);
    }
  }
  return have;
}

}  // namespace

int64_t SapDirectory::silence_limit_ns(int64_t period_ns) {
  const int64_t period = period_ns > 0 ? period_ns : 30 * kSecond;
  return std::clamp<int64_t>(10 * period, 30 * kSecond, 3600 * kSecond);
}

SapDirectory::Change SapDirectory::heard(const SapMessage& m, unsigned ifindex, const std::string& ifname,
                                         const IpAddress& group, int64_t now_ns, AnnouncedSession* affected) {
  Origin o;
  if (!origin_of(m.sdp, o)) {
    // A deletion without an o= line names the announcement it ends by its origin and message id hash (RFC 2974).
    if (!m.deletion || m.hash == 0) return Change::None;  // no o= line: nothing to file it under
    const auto it = std::find_if(sessions_.begin(), sessions_.end(), [&](const AnnouncedSession& s) {
      return s.ifindex == ifindex && s.hash == m.hash && s.origin.same_address(m.origin);
    });
    if (it == sessions_.end()) return Change::None;
    if (affected != nullptr) *affected = *it;
    sessions_.erase(it);
    return Change::Removed;
  }
  const std::string k = o.id + " on " + std::to_string(ifindex);
  auto it = std::find_if(sessions_.begin(), sessions_.end(), [&](const AnnouncedSession& s) { return s.key == k; });
  if (m.deletion) {
    if (it == sessions_.end()) return Change::None;
    if (affected != nullptr) *affected = *it;
    sessions_.erase(it);
    return Change::Removed;
  }
  if (it == sessions_.end()) {
    AnnouncedSession s;
    s.key = k;
    s.name = o.name;
    s.sdp = m.sdp;
    s.version = o.version;
    s.origin = m.origin;
    s.hash = m.hash;
    s.ifindex = ifindex;
    s.ifname = ifname;
    s.sap_group = group;
    s.first_heard_ns = s.last_heard_ns = now_ns;
    if (affected != nullptr) *affected = s;
    if (sessions_.size() >= kMaxSessions) return Change::Refused;
    sessions_.push_back(std::move(s));
    return Change::Added;
  }
  AnnouncedSession& s = *it;
  if (now_ns > s.last_heard_ns) s.period_ns = now_ns - s.last_heard_ns;
  s.last_heard_ns = now_ns;
  // An older version (a late or replayed announcement) changes nothing; a newer one, or the same version with
  // another SDP (a sender that forgot to count), is the session now.
  if (o.version < s.version || (o.version == s.version && m.sdp == s.sdp)) return Change::None;
  s.version = o.version;
  s.sdp = m.sdp;
  s.name = o.name;
  s.hash = m.hash;
  s.origin = m.origin;
  if (affected != nullptr) *affected = s;
  return Change::Updated;
}

std::vector<AnnouncedSession> SapDirectory::expire(int64_t now_ns) {
  std::vector<AnnouncedSession> gone;
  sessions_.erase(std::remove_if(sessions_.begin(), sessions_.end(),
                                 [&](const AnnouncedSession& s) {
                                   if (now_ns - s.last_heard_ns < silence_limit_ns(s.period_ns)) return false;
                                   gone.push_back(s);
                                   return true;
                                 }),
                  sessions_.end());
  return gone;
}

}  // namespace mcastexpert
