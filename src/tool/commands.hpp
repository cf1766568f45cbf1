// The tool's subcommands: each is a spec (options, help) and a function that runs it and returns the exit code.
#pragma once

#include "command_line.hpp"

namespace mcastexpert::tool {

// Exit codes scripts can rely on (docs/mcastexpert-tool.md).
inline constexpr int kExitOk = 0;     // the answer is yes: a route, no failed check, a probe received
inline constexpr int kExitNo = 1;     // the answer is no, or the host refused: the reason is on stderr
inline constexpr int kExitUsage = 2;  // the command line cannot be understood

struct Command {
  const CommandSpec& spec;
  int (*run)(const ParsedArgs& args);
};

extern const Command kIfacesCommand;
extern const Command kRouteCommand;
extern const Command kDoctorCommand;
extern const Command kSendCommand;
extern const Command kRecvCommand;
extern const Command kSdpCommand;
extern const Command kSapCommand;
extern const Command kAnnounceCommand;

}  // namespace mcastexpert::tool
