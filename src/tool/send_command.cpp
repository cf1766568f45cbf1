// mcastexpert send: numbered probes to a group, by the interface the sink would use — half of a ping for multicast.
#include <poll.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "commands.hpp"
#include "egress_choice.hpp"
#include "group_argument.hpp"
#include "probe.hpp"
#include "report.hpp"
#include "sender.hpp"
#include "stop_signal.hpp"

namespace mcastexpert::tool {
namespace {

constexpr uint16_t kDefaultPort = 5004;

const CommandSpec kSpec{
    "send",
    "GROUP[:PORT] [--iface SPEC] [--ttl N] [--count N] [--interval SECONDS] [--size BYTES] [--loop]",
    "Send numbered probes to GROUP (port 5004 unless given) for `mcastexpert recv` to count.",
    "Each probe says its number, when it was sent and by which host. The socket is set up as mcastexpertsink\n"
    "sets up its own: by --iface, or where the routing table sends the group; TTL 1 unless --ttl says otherwise;\n"
    "not looped back to this host unless --loop. Runs until --count probes are sent or Ctrl-C.\n"
    "Exit code 0 when every probe was sent, 1 when the socket could not be set up or a send failed.\n",
    1,
    1,
    {{"iface", 0, "SPEC", "the interface to send by (name, IPv4, IPv6[%scope] or index)"},
     {"ttl", 0, "N", "IP TTL / IPv6 hop limit, 0-255 (default 1: the local network only)"},
     {"count", 'c', "N", "stop after N probes (default: until Ctrl-C)"},
     {"interval", 'i', "SECONDS", "time between probes: 1, 0.2, 200ms (default 1 s)"},
     {"size", 's', "BYTES", "pad each probe to this size, up to 65507 (default: just the text)"},
     {"loop", 0, nullptr, "deliver the probes to receivers on this host too (IP_MULTICAST_LOOP)"}},
};

int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string host_name() {
  char name[HOST_NAME_MAX + 1] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

int run(const ParsedArgs& args) {
  const GroupArgument g = parse_group_argument(args.positionals().front());
  const auto count = static_cast<uint64_t>(args.get_integer("count", 0, 1, 1000000000));
  const double interval = args.get_seconds("interval", 1.0);
  const auto size = static_cast<size_t>(args.get_integer("size", 0, 0, 65507));

  SenderSettings settings;
  settings.destinations = {Destination{g.group, g.port.value_or(kDefaultPort), {}}};
  settings.iface = args.get("iface", g.scope);
  settings.ttl = static_cast<int>(args.get_integer("ttl", 1, 0, 255));
  settings.loop = args.has("loop");
  const InterfaceTable table = InterfaceTable::from_system();
  MulticastSender sender(settings, table);
  const Egress egress = sender.egresses().front();
  const std::string why = egress.reason == EgressReason::Iface            ? "named with --iface"
                          : egress.reason == EgressReason::MulticastRoute ? "multicast route"
                                                                          : "default route";
  const std::string to = settings.destinations.front().to_string();
  std::printf("Sending to %s by %s (%s) from %s:%u, TTL %d%s\n", to.c_str(), egress.iface.name.c_str(), why.c_str(),
              egress.source.to_string().c_str(), egress.source_port, settings.ttl,
              settings.loop ? ", looped back to this host" : "");
  std::fflush(stdout);

  Waker stop;
  wake_on_signals(stop);
  const std::string host = host_name();
  std::vector<SendFailure> failures;
  uint64_t sent = 0, failed = 0;
  for (uint64_t seq = 1; count == 0 || seq <= count; ++seq) {
    const std::string payload = encode_probe(Probe{seq, realtime_ns(), host}, size);
    iovec iov{const_cast<char*>(payload.data()), payload.size()};
    const Datagram datagram{&iov, 1, payload.size()};
    failures.clear();
    const SendOutcome outcome = sender.send(&datagram, 1, failures, stop);
    if (outcome.interrupted) break;
    if (outcome.sent > 0) {
      ++sent;
      std::printf("probe %llu sent to %s by %s (%zu bytes)\n", static_cast<unsigned long long>(seq), to.c_str(),
                  egress.iface.name.c_str(), payload.size());
    } else {
      ++failed;
      const int err = failures.empty() ? 0 : failures.front().error;
      std::printf("probe %llu NOT sent: %s\n", static_cast<unsigned long long>(seq), err != 0 ? strerror(err) : "?");
    }
    std::fflush(stdout);
    if (count != 0 && seq == count) break;
    pollfd wait{stop.fd(), POLLIN, 0};
    if (poll(&wait, 1, static_cast<int>(interval * 1000)) > 0) break;
  }
  std::printf("%llu probes sent, %llu failed\n", static_cast<unsigned long long>(sent),
              static_cast<unsigned long long>(failed));
  return failed == 0 ? kExitOk : kExitNo;
}

}  // namespace

const Command kSendCommand{kSpec, run};

}  // namespace mcastexpert::tool
