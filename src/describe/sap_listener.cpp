#include "sap_listener.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "error.hpp"
#include "interface_spec.hpp"
#include "pacer.hpp"
#include "sap_packet.hpp"

namespace mcastexpert {
namespace {

constexpr size_t kBatch = 16;

// The settings of one family's receiver.
ReceiverSettings receiver_settings(const SapListenerSettings& s, std::vector<GroupEntry> groups) {
  ReceiverSettings rs;
  rs.groups = std::move(groups);
  rs.port = kSapPort;
  rs.iface = s.iface;
  rs.loop = s.loop;
  rs.buffer_size = 0;  // a few announcements a second: the OS default holds them
  rs.log = s.log;
  return rs;
}

// IPv6 SAP groups of link scope (ff02::2:7ffe) mean nothing without an interface: with the default interfaces, they
// are joined on each of those that has IPv6, named.
std::string default_v6_interfaces(const InterfaceTable& table) {
  std::string names;
  try {
    for (const auto& i : default_receive_interfaces(table, Family::V6)) names += (names.empty() ? "" : ",") + i.name;
  } catch (const Error&) {
    // none: "" says so
  }
  return names;
}

// The largest datagram either family allows: the slots hold any SAP packet whole, whichever receivers come and go.
constexpr size_t kLargestDatagram = 65527;

}  // namespace

SapListener::SapListener(const SapListenerSettings& settings) : settings_(settings) {
  table_ = InterfaceTable::from_system();
  const bool defaults = settings_.groups.empty();
  std::vector<GroupEntry> v4, v6;
  if (defaults) {
    v4 = parse_group_list(kDefaultSapGroupsV4, kReceiverGroupRules);
    v6 = parse_group_list(kDefaultSapGroupsV6, kReceiverGroupRules);
  } else {
    for (const auto& g : settings_.groups) (g.address.is_v4() ? v4 : v6).push_back(g);
  }
  std::optional<Error> first_failure;
  auto open = [&](std::vector<GroupEntry> groups, Family family) {
    if (groups.empty()) return;
    ReceiverSettings rs = receiver_settings(settings_, std::move(groups));
    try {
      if (family == Family::V6 && rs.iface.empty()) {
        // Followed as interfaces change (refresh_default_v6): one that gains IPv6 later is joined then.
        follow_v6_defaults_ = defaults;
        v6_interfaces_ = rs.iface = default_v6_interfaces(table_);
        if (rs.iface.empty()) throw Error(ErrorKind::NotFound, "no interface has IPv6", "");
      }
      receivers_.push_back(std::make_unique<MulticastReceiver>(rs, table_));
      if (family == Family::V6 && follow_v6_defaults_) v6_receiver_ = receivers_.back().get();
    } catch (const Error& e) {
      // With the default groups, a family the host or the named interfaces do not have is left out (and said why
      // in the log); groups the user named must all be joined.
      if (!defaults) throw;
      skipped_ += std::string(skipped_.empty() ? "" : "; ") + family_name(family) + ": " + e.what();
      if (!first_failure) first_failure = e;
    }
  };
  open(std::move(v4), Family::V4);
  open(std::move(v6), Family::V6);
  if (receivers_.empty()) throw *first_failure;
  slots_ = std::make_unique<SlotBatch>(kBatch, kLargestDatagram);
  last_heard_ns_ = monotonic_ns();
  if (settings_.log && !skipped_.empty()) settings_.log("SAP: not listening on " + skipped_);
}

SapListener::~SapListener() = default;

std::string SapListener::interfaces() const {
  std::vector<std::string> names;
  for (const auto& r : receivers_)
    for (const auto& m : r->memberships())
      if (m.present && std::find(names.begin(), names.end(), m.ifname) == names.end()) names.push_back(m.ifname);
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string SapListener::groups() const {
  std::string out;
  for (const auto& r : receivers_)
    for (const auto& g : r->groups()) out += (out.empty() ? "" : ", ") + g.to_string();
  return out;
}

bool SapListener::listen(int timeout_ms, const Waker& stop, std::vector<SapEvent>& events) {
  events.clear();
  // One poll over the stop waker and every receiver's descriptors (a receiver's own wait() watches only itself).
  std::vector<pollfd> fds{{stop.fd(), POLLIN, 0}};
  for (const auto& r : receivers_)
    for (const int fd : r->wait_fds()) fds.push_back({fd, POLLIN, 0});
  const int64_t until = timeout_ms < 0 ? -1 : monotonic_ns() + int64_t{timeout_ms} * 1000000;
  int n;
  do {
    const int left = until < 0 ? -1 : static_cast<int>(std::max<int64_t>(0, (until - monotonic_ns()) / 1000000));
    n = poll(fds.data(), fds.size(), left);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_system_error("waiting for SAP announcements failed", errno);
  if (fds[0].revents != 0) return false;
  bool changed = false;
  for (size_t i = 0; i < receivers_.size(); ++i) {
    MulticastReceiver& r = *receivers_[i];
    if (r.interfaces_changed()) {
      changed = true;
      try {
        table_ = r.interfaces_now();
        r.follow_interfaces(table_, settings_.iface.empty());
      } catch (const Error& e) {
        if (settings_.log) settings_.log(std::string("SAP: cannot follow the interfaces: ") + e.what());
      }
    }
    read(r, events);
  }
  if (changed && follow_v6_defaults_) refresh_default_v6();
  const int64_t now = monotonic_ns();
  for (auto& gone : directory_.expire(now)) events.push_back({SapEvent::Kind::Expired, std::move(gone)});
  rejoin_if_quiet(now);
  return true;
}

void SapListener::read(MulticastReceiver& receiver, std::vector<SapEvent>& events) {
  // What is waiting, a few batches at most: a flood must not keep the caller from its stop waker.
  for (int round = 0; round < 8; ++round) {
    const size_t n = receiver.receive(slots_->data(), slots_->size());
    for (size_t i = 0; i < n; ++i) {
      const ReceiveSlot& s = (*slots_)[i];
      if (s.verdict != Verdict::Accepted || s.length > s.capacity) continue;
      last_heard_ns_ = monotonic_ns();
      std::string why;
      const auto message = parse_sap(s.data, s.length, why);
      if (!message) {
        if (settings_.log) settings_.log("SAP: ignoring a packet: " + why);
        continue;
      }
      const NetInterface* in = table_.by_index(s.ifindex);
      AnnouncedSession session;
      const auto change = directory_.heard(*message, s.ifindex, in != nullptr ? in->name : std::to_string(s.ifindex),
                                           receiver.groups()[s.group_index].address, last_heard_ns_, &session);
      switch (change) {
        case SapDirectory::Change::Added: events.push_back({SapEvent::Kind::Added, std::move(session)}); break;
        case SapDirectory::Change::Updated: events.push_back({SapEvent::Kind::Updated, std::move(session)}); break;
        case SapDirectory::Change::Removed: events.push_back({SapEvent::Kind::Deleted, std::move(session)}); break;
        case SapDirectory::Change::Refused:
          if (!warned_refused_) events.push_back({SapEvent::Kind::Refused, std::move(session)});
          warned_refused_ = true;
          break;
        case SapDirectory::Change::None: break;
      }
    }
    if (n < slots_->size()) return;
  }
}

// With the default groups and interfaces, the IPv6 receiver is pinned by name to the interfaces that had IPv6 when
// it was made (a link-scope group needs its interface): made anew when that set changes — an interface that gained
// IPv6 or came up is joined, one that lost it is left.
void SapListener::refresh_default_v6() {
  const std::string names = default_v6_interfaces(table_);
  if (names == v6_interfaces_) return;
  if (settings_.log) settings_.log("SAP: IPv6 interfaces now '" + names + "' (were '" + v6_interfaces_ + "')");
  v6_interfaces_ = names;
  receivers_.erase(std::remove_if(receivers_.begin(), receivers_.end(),
                                  [&](const std::unique_ptr<MulticastReceiver>& r) { return r.get() == v6_receiver_; }),
                   receivers_.end());
  v6_receiver_ = nullptr;
  if (names.empty()) return;
  ReceiverSettings rs = receiver_settings(settings_, parse_group_list(kDefaultSapGroupsV6, kReceiverGroupRules));
  rs.iface = names;
  try {
    receivers_.push_back(std::make_unique<MulticastReceiver>(rs, table_));
    v6_receiver_ = receivers_.back().get();
  } catch (const Error& e) {
    if (settings_.log) settings_.log(std::string("SAP: cannot listen on IPv6 now: ") + e.what());
  }
}

void SapListener::rejoin_if_quiet(int64_t now) {
  if (settings_.rejoin_after_ns <= 0 || now - last_heard_ns_ < settings_.rejoin_after_ns) return;
  last_heard_ns_ = now;
  for (auto& r : receivers_) {
    const std::string failed = r->rejoin();
    if (settings_.log)
      settings_.log(failed.empty() ? "SAP: nothing heard for a while: joined every SAP group again"
                                   : "SAP: joining again failed: " + failed);
  }
}

}  // namespace mcastexpert
