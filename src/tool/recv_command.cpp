// mcastexpert recv: joins a group as mcastexpertsrc would and reports every probe — the other half of the ping.
#include <arpa/inet.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "group_argument.hpp"
#include "json_writer.hpp"
#include "probe.hpp"
#include "receiver.hpp"
#include "report.hpp"
#include "stop_signal.hpp"

namespace mcastexpert::tool {
namespace {

constexpr uint16_t kDefaultPort = 5004;
constexpr size_t kBatch = 16;

const CommandSpec kSpec{
    "recv",
    "GROUP[:PORT] [--iface SPEC] [--sources LIST] [--count N] [--timeout SECONDS] [--json]",
    "Join GROUP (port 5004 unless given) and report each probe `mcastexpert send` emits.",
    "Joins as mcastexpertsrc joins: on the interfaces --iface names (a list), or on every up, multicast,\n"
    "non-loopback interface with an address of the group's family; source-specific with --sources. Only what\n"
    "was sent to the group and arrived on those interfaces counts. Per probe: sender, group, arrival\n"
    "interface, TTL left, latency (sender's clock to this one's: meaningful across hosts only with synchronised\n"
    "clocks). At the end: received, lost (gaps in each sender's numbers), duplicated, reordered, and datagrams\n"
    "that were not probes. Probes this host sent (send --loop) count too.\n"
    "Exit code 0 when at least one probe arrived, 1 when none did before the timeout or the join failed.\n",
    1,
    1,
    {{"iface", 0, "SPEC", "the interfaces to join on, comma-separated (default: every multicast interface)"},
     {"sources", 0, "LIST", "join source-specific: only these senders (comma-separated addresses)"},
     {"count", 'c', "N", "stop after N probes"},
     {"timeout", 'w', "SECONDS", "stop after this long (default 10 s; 0 = until Ctrl-C)"},
     {"json", 0, nullptr, "print one JSON object at the end: every probe and the counts"}},
};

std::string endpoint(const sockaddr_storage& sa) {
  const auto ip = IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&sa));
  if (!ip) return "?";
  const uint16_t port = ntohs(sa.ss_family == AF_INET ? reinterpret_cast<const sockaddr_in&>(sa).sin_port
                                                      : reinterpret_cast<const sockaddr_in6&>(sa).sin6_port);
  return ip->is_v6() ? "[" + ip->to_string() + "]:" + std::to_string(port)
                     : ip->to_string() + ":" + std::to_string(port);
}

int64_t monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

struct ProbeRecord {
  Probe probe;
  std::string sender, group, iface;
  int ttl;
  double latency_ms;
  ProbeTally::Arrival arrival;
};

const char* arrival_name(ProbeTally::Arrival a) {
  switch (a) {
    case ProbeTally::Arrival::New: return "";
    case ProbeTally::Arrival::Duplicate: return " DUPLICATE";
    case ProbeTally::Arrival::Reordered: return " REORDERED";
  }
  return "";
}

int run(const ParsedArgs& args) {
  const GroupArgument g = parse_group_argument(args.positionals().front());
  const auto count = static_cast<uint64_t>(args.get_integer("count", 0, 1, 1000000000));
  const double timeout = args.get_seconds("timeout", 10.0);
  const bool json = args.has("json");

  ReceiverSettings settings;
  GroupEntry entry;
  entry.address = g.group;
  entry.port = g.port;
  entry.scope = g.scope;
  settings.groups = {entry};
  settings.port = kDefaultPort;
  settings.iface = args.get("iface");
  settings.sources = about_setting("sources", [&] { return parse_source_list(args.get("sources")); });
  settings.loop = true;  // a field test on one host (send --loop) is a field test too
  settings.report_ttl = true;
  const InterfaceTable table = InterfaceTable::from_system();
  MulticastReceiver receiver(settings, table);

  std::vector<std::string> joined;
  for (const auto& m : receiver.memberships()) joined.push_back(m.ifname);
  const std::string where = g.group.to_string() + ":" + std::to_string(receiver.port());
  if (!json) {
    std::printf("Listening for %s on %s%s\n", where.c_str(), join(joined).c_str(),
                settings.sources.empty() ? "" : (" from " + args.get("sources")).c_str());
    std::fflush(stdout);
  }

  Waker stop, recheck;
  wake_on_signals(stop);
  SlotBatch slots(kBatch, receiver.max_datagram());
  ProbeTally tally;
  std::vector<ProbeRecord> records;
  uint64_t others = 0, probes = 0;
  const int64_t deadline = timeout > 0 ? monotonic_ms() + static_cast<int64_t>(timeout * 1000) : -1;
  bool done = false;
  while (!done) {
    const int left = deadline < 0 ? -1 : static_cast<int>(std::max<int64_t>(0, deadline - monotonic_ms()));
    const auto result = receiver.wait(left, stop, recheck);
    if (result == MulticastReceiver::WaitResult::Stopped || result == MulticastReceiver::WaitResult::TimedOut) break;
    if (result == MulticastReceiver::WaitResult::InterfacesChanged) {
      receiver.follow_interfaces(receiver.interfaces_now(), settings.iface.empty());
      continue;
    }
    if (result != MulticastReceiver::WaitResult::Readable) continue;
    const size_t n = receiver.receive(slots.data(), slots.size());
    for (size_t i = 0; i < n && !done; ++i) {
      const ReceiveSlot& s = slots[i];
      if (s.verdict != Verdict::Accepted) continue;
      const auto probe =
          decode_probe(std::string_view(reinterpret_cast<const char*>(s.data), std::min(s.length, s.capacity)));
      const NetInterface* in = table.by_index(s.ifindex);
      const std::string iface = in != nullptr ? in->name : "index " + std::to_string(s.ifindex);
      if (!probe) {
        ++others;
        if (!json)
          std::printf("%zu bytes from %s on %s: not a probe\n", s.length, endpoint(s.sender).c_str(), iface.c_str());
        continue;
      }
      const std::string from = endpoint(s.sender);
      ProbeRecord r{
          *probe,
          from,
          receiver.groups()[s.group_index].address.to_string(),
          iface,
          s.ttl,
          s.arrival_realtime_ns != 0 ? static_cast<double>(s.arrival_realtime_ns - probe->sent_realtime_ns) / 1e6 : 0.0,
          tally.record(from, probe->seq)};
      if (!json)
        std::printf("probe %llu from %s (%s) to %s on %s: ttl %d, latency %.3f ms%s\n",
                    static_cast<unsigned long long>(r.probe.seq), r.sender.c_str(), r.probe.host.c_str(),
                    r.group.c_str(), r.iface.c_str(), r.ttl, r.latency_ms, arrival_name(r.arrival));
      std::fflush(stdout);
      records.push_back(std::move(r));
      if (count != 0 && ++probes >= count) done = true;
    }
  }

  if (json) {
    JsonWriter out;
    out.begin_object().field("group", g.group.to_string()).field("port", unsigned{receiver.port()});
    out.key("interfaces").begin_array();
    for (const auto& name : joined) out.value(name);
    out.end_array().key("probes").begin_array();
    for (const auto& r : records)
      out.begin_object()
          .field("seq", r.probe.seq)
          .field("sender", r.sender)
          .field("host", r.probe.host)
          .field("group", r.group)
          .field("interface", r.iface)
          .field("ttl", r.ttl)
          .field("latency_ms", r.latency_ms)
          .field("duplicate", r.arrival == ProbeTally::Arrival::Duplicate)
          .field("reordered", r.arrival == ProbeTally::Arrival::Reordered)
          .end_object();
    out.end_array()
        .field("received", tally.received())
        .field("lost", tally.lost())
        .field("duplicated", tally.duplicated())
        .field("reordered", tally.reordered())
        .field("other", others)
        .end_object();
    std::printf("%s\n", out.str().c_str());
  } else {
    std::printf("%llu received, %llu lost, %llu duplicated, %llu reordered (from %zu sender%s); %llu other datagrams\n",
                static_cast<unsigned long long>(tally.received()), static_cast<unsigned long long>(tally.lost()),
                static_cast<unsigned long long>(tally.duplicated()), static_cast<unsigned long long>(tally.reordered()),
                tally.senders(), tally.senders() == 1 ? "" : "s", static_cast<unsigned long long>(others));
  }
  if (tally.received() == 0) {
    std::fprintf(stderr, "mcastexpert recv: no probe arrived for %s on %s%s\n", where.c_str(), join(joined).c_str(),
                 deadline < 0 ? "" : (" within " + seconds_text(timeout)).c_str());
    return kExitNo;
  }
  return kExitOk;
}

}  // namespace

const Command kRecvCommand{kSpec, run};

}  // namespace mcastexpert::tool
