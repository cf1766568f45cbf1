// mcastexpert: the host as the elements see it — interfaces, routes, what is wrong, and a ping for multicast.
// Every answer comes from the same core code (src/) the elements use.
#include <cstdio>
#include <cstring>
#include <string>

#include "command_line.hpp"
#include "commands.hpp"
#include "error.hpp"
#include "report.hpp"

namespace {

using namespace mcastexpert::tool;

const Command* const kCommands[] = {&kIfacesCommand, &kRouteCommand, &kDoctorCommand, &kSendCommand,
                                    &kRecvCommand,   &kSdpCommand,   &kSapCommand,    &kAnnounceCommand};

void print_help() {
  std::printf(
      "Usage: mcastexpert COMMAND [OPTIONS]\n\n"
      "The host's multicast as mcastexpertsrc and mcastexpertsink see it.\n\nCommands:\n");
  for (const Command* c : kCommands) std::printf("  %-8s %s\n", c->spec.name, c->spec.summary);
  std::printf(
      "\n`mcastexpert COMMAND --help` tells more. Exit codes: 0 yes / ok, 1 no (the reason is on stderr), 2 the "
      "command line is wrong.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_help();
    return kExitUsage;
  }
  const std::string name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    print_help();
    return kExitOk;
  }
  if (name == "--version" || name == "-V") {
    std::printf("mcastexpert %s\n", MCASTEXPERT_VERSION);
    return kExitOk;
  }
  for (const Command* c : kCommands) {
    if (name != c->spec.name) continue;
    try {
      const ParsedArgs args = parse_args(c->spec, argc - 2, argv + 2);
      if (args.help()) {
        std::fputs(command_help(c->spec).c_str(), stdout);
        return kExitOk;
      }
      return c->run(args);
    } catch (const UsageError& e) {
      std::fprintf(stderr, "mcastexpert %s: %s\n", c->spec.name, e.what());
      return kExitUsage;
    } catch (const mcastexpert::Error& e) {
      print_error(c->spec.name, e);
      return kExitNo;
    }
  }
  std::fprintf(
      stderr,
      "mcastexpert: no command \"%s\" (commands: ifaces, route, doctor, send, recv, sdp, sap, announce; see --help)\n",
      name.c_str());
  return kExitUsage;
}
