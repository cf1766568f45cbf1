// Every launch line in README.md and docs/ parses with the built plugin, the way gst-launch-1.0 would take it: in
// code blocks and inline code, continuation lines joined, shell quoting undone, gst-launch-1.0's own options and
// any shell tail (a comment, '&', a pipe) left out. A line that names an element this machine lacks is skipped by
// name; one of this project's elements is never excused.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

struct LaunchLine {
  std::string where;  // "docs/cookbook.md:42"
  std::string text;   // from "gst-launch-1.0" on
};

std::string source_root() {
  const char* root = std::getenv("MCASTEXPERT_SOURCE_ROOT");
  return root != nullptr ? root : ".";
}

void collect(const std::filesystem::path& file, const std::string& name, std::vector<LaunchLine>& out) {
  std::ifstream in(file);
  bool fenced = false;
  std::string pending;
  int line_no = 0, start = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.rfind("```", 0) == 0) {
      fenced = !fenced;
      continue;
    }
    if (fenced) {
      if (pending.empty()) start = line_no;
      if (!line.empty() && line.back() == '\\') {
        pending += line.substr(0, line.size() - 1) + " ";
        continue;
      }
      const std::string joined = pending + line;
      pending.clear();
      const auto at = joined.find("gst-launch-1.0 ");
      if (at != std::string::npos && joined.find_first_not_of(' ') != joined.find('#'))
        out.push_back({name + ":" + std::to_string(start), joined.substr(at)});
      continue;
    }
    // Inline code: `gst-launch-1.0 ...`. (No std::regex: GCC 12 warns inside it when built with the sanitizers.)
    for (size_t at = line.find("`gst-launch-1.0 "); at != std::string::npos; at = line.find("`gst-launch-1.0 ", at)) {
      const size_t end = line.find('`', at + 1);
      if (end == std::string::npos) break;
      out.push_back({name + ":" + std::to_string(line_no), line.substr(at + 1, end - at - 1)});
      at = end + 1;
    }
  }
}

std::vector<LaunchLine> all_launch_lines() {
  std::vector<LaunchLine> lines;
  const std::filesystem::path root = source_root();
  collect(root / "README.md", "README.md", lines);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root / "docs"))
    if (entry.path().extension() == ".md")
      collect(entry.path(), std::filesystem::relative(entry.path(), root).string(), lines);
  return lines;
}

// The pipeline description gst-launch-1.0 would get: shell words, without its own options and the shell's tail.
std::vector<std::string> pipeline_words(const std::string& text, std::string& problem) {
  gchar** argv = nullptr;
  GError* error = nullptr;
  if (!g_shell_parse_argv(text.c_str(), nullptr, &argv, &error)) {
    problem = std::string("not shell words: ") + error->message;
    g_error_free(error);
    return {};
  }
  std::vector<std::string> words;
  for (gchar** a = argv + 1; *a != nullptr; ++a) {
    const std::string w = *a;
    if (w == "&" || w == "|" || w == ";" || w == "&&" || w == "||" || w == ">" || w == "2>&1" || w.rfind(">", 0) == 0)
      break;
    if (words.empty() && w.size() > 1 && w[0] == '-') continue;  // -q, -v, -e, --gst-debug=...
    words.push_back(w);
  }
  g_strfreev(argv);
  return words;
}

// The text between double quotes right after `lead` in `message` ("no element \"x264enc\"" → x264enc).
std::string quoted_after(const std::string& message, const std::string& lead) {
  const size_t at = message.find(lead + "\"");
  if (at == std::string::npos) return "";
  const size_t start = at + lead.size() + 1;
  const size_t end = message.find('"', start);
  return end == std::string::npos ? "" : message.substr(start, end - start);
}

}  // namespace

TEST(LaunchLines, EveryLaunchLineInTheDocsParses) {
  const auto lines = all_launch_lines();
  ASSERT_GE(lines.size(), 40u) << "the docs should hold many launch lines; did the extraction break?";
  size_t parsed = 0, ours = 0;
  for (const auto& line : lines) {
    std::string problem;
    auto words = pipeline_words(line.text, problem);
    if (!problem.empty()) {
      ADD_FAILURE() << line.where << ": " << problem << "\n  " << line.text;
      continue;
    }
    std::vector<gchar*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    GError* error = nullptr;
    GstElement* pipeline =
        gst_parse_launchv_full(const_cast<const gchar**>(argv.data()), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &error);
    if (error != nullptr) {
      const std::string message = error->message;
      const std::string missing = quoted_after(message, "no element ");
      if (error->domain == GST_PARSE_ERROR && error->code == GST_PARSE_ERROR_NO_SUCH_ELEMENT && !missing.empty() &&
          missing.rfind("mcastexpert", 0) != 0) {
        std::printf("skipped %s: this machine lacks %s\n", line.where.c_str(), missing.c_str());
      } else {
        ADD_FAILURE() << line.where << ": " << message << "\n  " << line.text;
      }
      g_error_free(error);
      if (pipeline != nullptr) gst_object_unref(pipeline);
      continue;
    }
    ++parsed;
    if (line.text.find("mcastexpert") != std::string::npos) ++ours;
    gst_object_unref(pipeline);
  }
  std::printf("%zu of %zu launch lines parsed (%zu with this project's elements)\n", parsed, lines.size(), ours);
  EXPECT_GE(ours, 30u);
}

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
