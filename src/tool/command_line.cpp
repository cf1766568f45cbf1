#include "command_line.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace mcastexpert::tool {
namespace {

const OptionSpec* find_long(const CommandSpec& spec, const std::string& name) {
  for (const auto& o : spec.options)
    if (name == o.name) return &o;
  return nullptr;
}

const OptionSpec* find_short(const CommandSpec& spec, char c) {
  for (const auto& o : spec.options)
    if (o.short_name != 0 && o.short_name == c) return &o;
  return nullptr;
}

std::string see_help(const CommandSpec& spec) {
  return " (see: mcastexpert " + std::string(spec.name) + " --help)";
}

}  // namespace

std::string ParsedArgs::get(const std::string& name, const std::string& fallback) const {
  const auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

long long ParsedArgs::get_integer(const std::string& name, long long fallback, long long min, long long max) const {
  if (!has(name)) return fallback;
  const std::string text = get(name);
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || n < min || n > max)
    throw UsageError("--" + name + " \"" + text + "\" is not a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max));
  return n;
}

double ParsedArgs::get_seconds(const std::string& name, double fallback) const {
  if (!has(name)) return fallback;
  const std::string text = get(name);
  char* end = nullptr;
  const double n = std::strtod(text.c_str(), &end);
  double scale = 1;
  const std::string unit = end != nullptr ? end : "";
  if (unit == "ms") {
    scale = 1e-3;
  } else if (unit == "us") {
    scale = 1e-6;
  } else if (!unit.empty() && unit != "s") {
    end = nullptr;
  }
  if (text.empty() || end == nullptr || end == text.c_str() || !std::isfinite(n) || n < 0 || n * scale > 86400)
    throw UsageError("--" + name + " \"" + text + "\" is not a duration: give seconds (2, 0.5, 1s) or ms (200ms)");
  return n * scale;
}

ParsedArgs parse_args(const CommandSpec& spec, int argc, char** argv) {
  ParsedArgs args;
  bool options_done = false;
  for (int i = 0; i < argc; ++i) {
    const std::string word = argv[i];
    // Words that do not start with '-' (and "-5", unless -5 is an option, as -4 and -6 are) are positionals.
    const bool number = word.size() >= 2 && std::isdigit(static_cast<unsigned char>(word[1])) != 0 &&
                        !(word.size() == 2 && find_short(spec, word[1]) != nullptr);
    if (options_done || word.size() < 2 || word[0] != '-' || number) {
      args.positionals_.push_back(word);
      continue;
    }
    if (word == "--") {
      options_done = true;
      continue;
    }
    if (word == "-h" || word == "--help") {
      args.help_ = true;
      continue;
    }
    const OptionSpec* option = nullptr;
    std::string value;
    bool has_value = false;
    if (word[1] == '-') {
      const auto eq = word.find('=');
      option = find_long(spec, word.substr(2, eq == std::string::npos ? std::string::npos : eq - 2));
      if (eq != std::string::npos) {
        value = word.substr(eq + 1);
        has_value = true;
      }
    } else if (word.size() == 2) {
      option = find_short(spec, word[1]);
    }
    if (option == nullptr) throw UsageError("unknown option " + word + see_help(spec));
    if (option->value_name == nullptr) {
      if (has_value) throw UsageError("--" + std::string(option->name) + " takes no value");
      value = "1";
    } else if (!has_value) {
      if (i + 1 >= argc)
        throw UsageError("--" + std::string(option->name) + " needs a value (" + option->value_name + ")");
      value = argv[++i];
    }
    args.values_[option->name] = value;
  }
  if (!args.help_) {
    const size_t n = args.positionals_.size();
    if (n < spec.min_positionals)
      throw UsageError("missing argument: mcastexpert " + std::string(spec.name) + " " + spec.usage);
    if (n > spec.max_positionals)
      throw UsageError("unexpected argument \"" + args.positionals_[spec.max_positionals] + "\"" + see_help(spec));
  }
  return args;
}

std::string command_help(const CommandSpec& spec) {
  std::string out = "Usage: mcastexpert " + std::string(spec.name) + " " + spec.usage + "\n\n" + spec.summary + "\n";
  if (!spec.options.empty()) {
    out += "\nOptions:\n";
    std::vector<std::string> left;
    size_t width = 0;
    for (const auto& o : spec.options) {
      std::string l = "  ";
      l += o.short_name != 0 ? std::string("-") + o.short_name + ", " : "    ";
      l += "--" + std::string(o.name);
      if (o.value_name != nullptr) l += " " + std::string(o.value_name);
      width = std::max(width, l.size());
      left.push_back(l);
    }
    left.emplace_back("  -h, --help");
    for (size_t i = 0; i < left.size(); ++i) {
      const char* help = i < spec.options.size() ? spec.options[i].help : "show this help";
      out += left[i] + std::string(width + 2 - std::min(width + 2, left[i].size()), ' ') + help + "\n";
    }
  }
  if (spec.details != nullptr && spec.details[0] != '\0') out += "\n" + std::string(spec.details);
  return out;
}

}  // namespace mcastexpert::tool
