#include "group_argument.hpp"

#include "command_line.hpp"
#include "error.hpp"

namespace mcastexpert::tool {

GroupArgument parse_group_argument(const std::string& text) {
  try {
    const GroupEntry entry = parse_group_entry(text, GroupListRules{true, true, true, false});
    return GroupArgument{entry.address, entry.port, entry.scope};
  } catch (const Error& e) {
    throw UsageError("GROUP: " + e.full());
  }
}

}  // namespace mcastexpert::tool
