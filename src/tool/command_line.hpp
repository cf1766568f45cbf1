// The tool's command line: each subcommand declares its options once, and the same table parses them and prints
// --help, so the two never disagree.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcastexpert::tool {

struct OptionSpec {
  const char* name;        // long name without "--": "iface"
  char short_name;         // '4', or 0 for none
  const char* value_name;  // "SPEC" for an option that takes a value, nullptr for a flag
  const char* help;
};

struct CommandSpec {
  const char* name;     // "route"
  const char* usage;    // "GROUP [--iface SPEC] [--json]"
  const char* summary;  // one line, for `mcastexpert --help`
  const char* details;  // what it prints and its exit codes, for `mcastexpert NAME --help`
  size_t min_positionals, max_positionals;
  std::vector<OptionSpec> options;
};

// A command line that cannot be understood: exit code 2, with the message and a pointer to --help.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ParsedArgs {
 public:
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  // The option's value, or `fallback` when not given.
  std::string get(const std::string& name, const std::string& fallback = {}) const;
  // Whole numbers within [min, max], or a UsageError naming the option.
  long long get_integer(const std::string& name, long long fallback, long long min, long long max) const;
  // Seconds as "2", "0.5", "200ms" or "1s"; a UsageError naming the option otherwise.
  double get_seconds(const std::string& name, double fallback) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  bool help() const { return help_; }

 private:
  friend ParsedArgs parse_args(const CommandSpec& spec, int argc, char** argv);
  std::map<std::string, std::string> values_;
  std::vector<std::string> positionals_;
  bool help_ = false;
};

// Parses argv[0..argc) (the words after the subcommand): --name VALUE, --name=VALUE, -x, -x VALUE, -h/--help.
// Throws UsageError for an unknown option, a missing value, or the wrong number of positionals (not checked when
// --help is given).
ParsedArgs parse_args(const CommandSpec& spec, int argc, char** argv);

// "Usage: mcastexpert NAME USAGE", the summary, the options aligned, the details.
std::string command_help(const CommandSpec& spec);

}  // namespace mcastexpert::tool
