// What gst-inspect-1.0 says of each property agrees with the element's page in docs/: every property of the
// element's own is documented, with a blurb, and the page's "changes" column matches its flags (any state for a
// live property, NULL, READY for a GST_PARAM_MUTABLE_READY one, read-only for one that cannot be written); every
// signal of the element's own is in the page's "Signals" table, and the page lists no property or signal the
// built element lacks.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

// The rows of a page's property table: property name → the "changes" cell.
std::map<std::string, std::string> documented_changes(const std::string& page) {
  const char* docs = std::getenv("MCASTEXPERT_DOCS");
  std::ifstream in(std::string(docs != nullptr ? docs : "docs") + "/" + page);
  EXPECT_TRUE(in.good()) << "cannot read " << page;
  std::map<std::string, std::string> rows;
  std::vector<std::string> header;
  int changes_column = -1;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| ", 0) != 0) {
      changes_column = -1;
      continue;
    }
    std::vector<std::string> cells;
    std::stringstream cells_in(line.substr(1));
    for (std::string cell; std::getline(cells_in, cell, '|');) {
      const auto first = cell.find_first_not_of(' ');
      const auto last = cell.find_last_not_of(' ');
      cells.push_back(first == std::string::npos ? "" : cell.substr(first, last - first + 1));
    }
    if (!cells.empty() && cells[0] == "property") {
      for (size_t i = 0; i < cells.size(); ++i)
        if (cells[i] == "changes") changes_column = static_cast<int>(i);
      continue;
    }
    if (changes_column < 0 || cells.size() <= static_cast<size_t>(changes_column) || cells[0].size() < 3 ||
        cells[0].front() != '`')
      continue;
    rows[cells[0].substr(1, cells[0].size() - 2)] = cells[static_cast<size_t>(changes_column)];
  }
  return rows;
}

std::string changes_by_flags(const GParamSpec* pspec) {
  if ((pspec->flags & G_PARAM_WRITABLE) == 0) return "read-only";
  return (pspec->flags & GST_PARAM_MUTABLE_READY) != 0 ? "NULL, READY" : "any state";
}

void expect_inspect_and_docs_agree(const char* factory, const std::string& page) {
  GstElement* e = gst_element_factory_make(factory, nullptr);
  ASSERT_NE(e, nullptr) << factory;
  const GType type = G_OBJECT_TYPE(e);
  const auto documented = documented_changes(page);
  ASSERT_FALSE(documented.empty()) << page << " has no property table with a 'changes' column";
  guint n = 0;
  GParamSpec** specs = g_object_class_list_properties(G_OBJECT_GET_CLASS(e), &n);
  std::map<std::string, bool> own;
  for (guint i = 0; i < n; ++i) {
    const GParamSpec* pspec = specs[i];
    if (pspec->owner_type != type) continue;  // GstBaseSrc's, GstBaseSink's: documented upstream
    own[pspec->name] = true;
    EXPECT_NE(g_param_spec_get_blurb(const_cast<GParamSpec*>(pspec)), nullptr) << pspec->name;
    EXPECT_GT(strlen(g_param_spec_get_blurb(const_cast<GParamSpec*>(pspec))), 20u) << pspec->name << " blurb";
    const auto row = documented.find(pspec->name);
    if (row == documented.end()) {
      ADD_FAILURE() << factory << ":" << pspec->name << " is not in " << page;
      continue;
    }
    EXPECT_EQ(row->second, changes_by_flags(pspec)) << factory << ":" << pspec->name;
  }
  for (const auto& [name, changes] : documented)
    EXPECT_TRUE(own.count(name)) << page << " documents '" << name << "', which " << factory << " does not have";
  g_free(specs);
  gst_object_unref(e);
}

// The signals a page's "Signals" table lists: the first cell's name, before its arguments.
std::map<std::string, bool> documented_signals(const std::string& page) {
  const char* docs = std::getenv("MCASTEXPERT_DOCS");
  std::ifstream in(std::string(docs != nullptr ? docs : "docs") + "/" + page);
  std::map<std::string, bool> names;
  bool in_signals = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) in_signals = line.rfind("## Signals", 0) == 0;
    if (!in_signals || line.rfind("| `", 0) != 0) continue;
    const std::string cell = line.substr(3);
    names[cell.substr(0, cell.find_first_of(" `("))] = true;
  }
  return names;
}

void expect_signals_documented(const char* factory, const std::string& page) {
  GstElement* e = gst_element_factory_make(factory, nullptr);
  ASSERT_NE(e, nullptr) << factory;
  const auto documented = documented_signals(page);
  guint n = 0;
  guint* ids = g_signal_list_ids(G_OBJECT_TYPE(e), &n);  // the element's own, not its parents'
  std::map<std::string, bool> own;
  for (guint i = 0; i < n; ++i) {
    const std::string name = g_signal_name(ids[i]);
    own[name] = true;
    EXPECT_TRUE(documented.count(name)) << factory << " has the signal '" << name << "', which " << page
                                        << " does not list under \"## Signals\"";
  }
  for (const auto& [name, _] : documented)
    EXPECT_TRUE(own.count(name)) << page << " lists the signal '" << name << "', which " << factory << " does not have";
  g_free(ids);
  gst_object_unref(e);
}

}  // namespace

TEST(Signals, SourceSignalsAndDocsAgree) {
  expect_signals_documented("mcastexpertsrc", "mcastexpertsrc.md");
}

TEST(Signals, SinkSignalsAndDocsAgree) {
  expect_signals_documented("mcastexpertsink", "mcastexpertsink.md");
}

TEST(Properties, SourceInspectAndDocsAgree) {
  expect_inspect_and_docs_agree("mcastexpertsrc", "mcastexpertsrc.md");
}

TEST(Properties, SinkInspectAndDocsAgree) {
  expect_inspect_and_docs_agree("mcastexpertsink", "mcastexpertsink.md");
}

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
