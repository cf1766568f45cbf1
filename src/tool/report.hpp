// How the tool prints: aligned text tables for people, errors as "what. how to fix it." on stderr.
#pragma once

#include <string>
#include <vector>

#include "error.hpp"

namespace mcastexpert::tool {

// Rows of cells, printed with every column as wide as its widest cell (the last one unpadded).
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string str() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// "mcastexpert COMMAND: message. hint" on stderr.
void print_error(const char* command, const Error& e);

// The parts appended into one string (no temporaries, unlike a chain of +).
template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::string out;
  (out += ... += parts);
  return out;
}

// "a, b, c".
std::string join(const std::vector<std::string>& items, const char* separator = ", ");

}  // namespace mcastexpert::tool
