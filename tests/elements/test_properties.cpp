// What gst-inspect-1.0 says of each property agrees with the element's page in docs/: every property of the
// element's own is documented, with a blurb, and the page's "changes" column matches its flags (any state for a
// live property, NULL, READY for a GST_PARAM_MUTABLE_READY one, read-only for one that cannot be written); every
// signal of the element's own is in the page's "Signals" table, and the page lists no property or signal the
// built element lacks. The mcast:// URI keys are the element's own writable properties (but groups and uri): the
// page's list of them agrees, and a URI read back from an element with every key set makes a fresh element the same.
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

// The properties an mcast:// URI may carry as keys: the element's own writable ones, but groups (the authority),
// uri itself, and the source's sap-session and sap-group (a sap:// URI's session and authority; the sink's
// sap-group is a key).
std::vector<GParamSpec*> uri_key_specs(GstElement* e) {
  guint n = 0;
  GParamSpec** specs = g_object_class_list_properties(G_OBJECT_GET_CLASS(e), &n);
  const bool sap = g_object_class_find_property(G_OBJECT_GET_CLASS(e), "sap-session") != nullptr;
  std::vector<GParamSpec*> keys;
  for (guint i = 0; i < n; ++i) {
    const std::string name = specs[i]->name;
    if (specs[i]->owner_type == G_OBJECT_TYPE(e) && (specs[i]->flags & G_PARAM_WRITABLE) != 0 && name != "groups" &&
        name != "uri" && name != "sap-session" && (name != "sap-group" || !sap))
      keys.push_back(specs[i]);
  }
  g_free(specs);
  return keys;
}

// The keys the page's "## mcast:// URIs" section lists: the `names` of its paragraph that starts "Query keys".
std::map<std::string, bool> documented_uri_keys(const std::string& page) {
  const char* docs = std::getenv("MCASTEXPERT_DOCS");
  std::ifstream in(std::string(docs != nullptr ? docs : "docs") + "/" + page);
  std::map<std::string, bool> keys;
  bool in_section = false, in_paragraph = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) in_section = line.rfind("## mcast:// URIs", 0) == 0;
    if (!in_section) continue;
    if (line.rfind("Query keys", 0) == 0) in_paragraph = true;
    if (line.empty()) in_paragraph = false;
    if (!in_paragraph) continue;
    for (size_t open = line.find('`'); open != std::string::npos; open = line.find('`', open)) {
      const size_t close = line.find('`', open + 1);
      if (close == std::string::npos) break;
      keys[line.substr(open + 1, close - open - 1)] = true;
      open = close + 1;
    }
  }
  return keys;
}

void expect_uri_keys_documented(const char* factory, const std::string& page) {
  GstElement* e = gst_element_factory_make(factory, nullptr);
  ASSERT_NE(e, nullptr) << factory;
  const auto documented = documented_uri_keys(page);
  ASSERT_FALSE(documented.empty()) << page << " has no paragraph starting \"Query keys\" under \"## mcast:// URIs\"";
  std::map<std::string, bool> keys;
  for (GParamSpec* p : uri_key_specs(e)) {
    keys[p->name] = true;
    EXPECT_TRUE(documented.count(p->name)) << page << " does not list the URI key '" << p->name << "'";
  }
  for (const auto& [name, _] : documented)
    EXPECT_TRUE(keys.count(name)) << page << " lists the URI key '" << name << "', which " << factory << " lacks";
  gst_object_unref(e);
}

// A valid value of each string key (a list or caps), unlike its default; a new string property needs one here.
const std::map<std::string, std::string> kStringValues = {
    {"iface", "lo,eth7"},
    {"sources", "10.0.0.1,10.0.0.2"},
    {"block-sources", "10.0.0.3"},
    {"caps", "application/x-rtp"},
    {"sdp", "v=0"},
    {"sdp-file", "/tmp/stream.sdp"},
    {"media", "video"},
    {"session-name", "Stage left"},
    {"sap-group", "239.255.255.255,224.2.127.254"},
};

// Sets `pspec` on `e` to a valid value other than its default.
void set_other_than_default(GstElement* e, GParamSpec* pspec) {
  GValue v = G_VALUE_INIT;
  g_value_init(&v, pspec->value_type);
  g_param_value_set_default(pspec, &v);
  if (G_IS_PARAM_SPEC_BOOLEAN(pspec)) {
    g_value_set_boolean(&v, !g_value_get_boolean(&v));
  } else if (G_IS_PARAM_SPEC_INT(pspec)) {
    const gint d = g_value_get_int(&v);
    g_value_set_int(&v, d < G_PARAM_SPEC_INT(pspec)->maximum ? d + 1 : d - 1);
  } else if (G_IS_PARAM_SPEC_UINT(pspec)) {
    const guint d = g_value_get_uint(&v);
    g_value_set_uint(&v, d < G_PARAM_SPEC_UINT(pspec)->maximum ? d + 1 : d - 1);
  } else if (G_IS_PARAM_SPEC_UINT64(pspec)) {
    const guint64 d = g_value_get_uint64(&v);
    g_value_set_uint64(&v, d < G_PARAM_SPEC_UINT64(pspec)->maximum ? d + 1 : d - 1);
  } else if (G_IS_PARAM_SPEC_ENUM(pspec)) {
    GEnumClass* klass = G_PARAM_SPEC_ENUM(pspec)->enum_class;
    const gint d = g_value_get_enum(&v);
    g_value_set_enum(&v, klass->values[0].value != d ? klass->values[0].value : klass->values[1].value);
  } else {
    const auto value = kStringValues.find(pspec->name);
    if (value == kStringValues.end()) {
      ADD_FAILURE() << "no test value for the URI key '" << pspec->name << "' (add one to kStringValues)";
    } else if (!gst_value_deserialize(&v, value->second.c_str())) {
      ADD_FAILURE() << "'" << value->second << "' is not a value of " << pspec->name;
    }
  }
  g_object_set_property(G_OBJECT(e), pspec->name, &v);
  g_value_unset(&v);
}

std::string value_of(GstElement* e, const char* name) {
  GParamSpec* pspec = g_object_class_find_property(G_OBJECT_GET_CLASS(e), name);
  GValue v = G_VALUE_INIT;
  g_value_init(&v, pspec->value_type);
  g_object_get_property(G_OBJECT(e), name, &v);
  gchar* text = gst_value_serialize(&v);
  std::string out = text != nullptr ? text : "(null)";
  g_free(text);
  g_value_unset(&v);
  return out;
}

std::string string_of(GstElement* e, const char* name) {
  gchar* text = nullptr;
  g_object_get(e, name, &text, nullptr);
  std::string out = text != nullptr ? text : "";
  g_free(text);
  return out;
}

// Every key set to something other than its default: the URI read back names each once and sets a fresh element to
// the same values, and reading the fresh element's URI gives the same URI.
void expect_uri_round_trip(const char* factory, const char* groups) {
  GstElement* e = gst_element_factory_make(factory, nullptr);
  ASSERT_NE(e, nullptr) << factory;
  g_object_set(e, "groups", groups, nullptr);
  const auto keys = uri_key_specs(e);
  ASSERT_GT(keys.size(), 5u);
  for (GParamSpec* p : keys) set_other_than_default(e, p);
  gchar* uri = nullptr;
  g_object_get(e, "uri", &uri, nullptr);
  ASSERT_NE(uri, nullptr);
  const std::string text = uri;
  g_free(uri);
  for (GParamSpec* p : keys) {
    const std::string key = std::string(p->name) + "=";
    const size_t first = text.find(key);
    // port is in the authority when one group has none of its own
    if (key != "port=") {
      EXPECT_NE(first, std::string::npos) << factory << ": '" << p->name << "' is not in " << text;
    }
    if (first != std::string::npos) {
      EXPECT_EQ(text.find("&" + key, first + 1), std::string::npos) << factory << ": " << p->name << " twice: " << text;
    }
  }
  GstElement* fresh = gst_element_factory_make(factory, nullptr);
  GError* err = nullptr;
  EXPECT_TRUE(gst_uri_handler_set_uri(GST_URI_HANDLER(fresh), text.c_str(), &err))
      << factory << " refused its own URI " << text << ": " << (err != nullptr ? err->message : "");
  g_clear_error(&err);
  EXPECT_EQ(value_of(fresh, "groups"), value_of(e, "groups")) << text;
  for (GParamSpec* p : keys) EXPECT_EQ(value_of(fresh, p->name), value_of(e, p->name)) << factory << " " << text;
  gchar* again = gst_uri_handler_get_uri(GST_URI_HANDLER(fresh));
  EXPECT_EQ(std::string(again != nullptr ? again : ""), text);
  g_free(again);
  gst_object_unref(fresh);
  gst_object_unref(e);
}

}  // namespace

TEST(UriKeys, SourcePageListsEveryKey) {
  expect_uri_keys_documented("mcastexpertsrc", "mcastexpertsrc.md");
}

TEST(UriKeys, SinkPageListsEveryKey) {
  expect_uri_keys_documented("mcastexpertsink", "mcastexpertsink.md");
}

TEST(UriKeys, SourceUriWithEveryKeySetMakesAFreshSourceTheSame) {
  expect_uri_round_trip("mcastexpertsrc", "239.1.1.1");
  expect_uri_round_trip("mcastexpertsrc", "239.1.1.1,239.1.1.2:6000");
  expect_uri_round_trip("mcastexpertsrc", "239.1.1.1@eth1,239.2.2.2@eth2");
}

TEST(UriKeys, SinkUriWithEveryKeySetMakesAFreshSinkTheSame) {
  expect_uri_round_trip("mcastexpertsink", "239.1.1.1");
  expect_uri_round_trip("mcastexpertsink", "239.1.1.1:5000,239.1.1.2");
  // (With a port on every entry the port property is unused, and a URI leaves it out.)
  expect_uri_round_trip("mcastexpertsink", "[ff15::1]:5000,ff15::2");
}

// A source set to a SAP session reads back as a sap:// URI (SAP group and port in the authority, the session as
// session=, every other key as for mcast://) that sets a fresh source the same; sap:// without a session is the
// first session heard; an mcast:// URI applied after it clears the session.
TEST(UriKeys, SourceSapUriMakesAFreshSourceTheSame) {
  GstElement* e = gst_element_factory_make("mcastexpertsrc", nullptr);
  g_object_set(e, "sap-session", "Studio A/1", "sap-group", "239.255.255.255:9876", "iface", "eth1", "buffer-size",
               1 << 20, nullptr);
  gchar* uri = nullptr;
  g_object_get(e, "uri", &uri, nullptr);
  ASSERT_NE(uri, nullptr);
  EXPECT_STREQ(uri, "sap://239.255.255.255:9876?session=Studio%20A%2F1&iface=eth1&buffer-size=1048576");
  GstElement* fresh = gst_element_factory_make("mcastexpertsrc", nullptr);
  GError* err = nullptr;
  EXPECT_TRUE(gst_uri_handler_set_uri(GST_URI_HANDLER(fresh), uri, &err)) << (err != nullptr ? err->message : "");
  g_clear_error(&err);
  for (const char* p : {"sap-session", "sap-group", "iface", "buffer-size", "groups"})
    EXPECT_EQ(value_of(fresh, p), value_of(e, p)) << p;
  g_free(uri);
  EXPECT_TRUE(gst_uri_handler_set_uri(GST_URI_HANDLER(fresh), "sap://", &err));
  EXPECT_EQ(string_of(fresh, "sap-session"), "*");
  EXPECT_EQ(string_of(fresh, "sap-group"), "");
  EXPECT_EQ(string_of(fresh, "iface"), "") << "keys the last URI set and this one leaves out go back to defaults";
  EXPECT_TRUE(gst_uri_handler_set_uri(GST_URI_HANDLER(fresh), "sap://[ff05::2:7ffe]:9875?session=Six", &err));
  EXPECT_EQ(string_of(fresh, "sap-group"), "[ff05::2:7ffe]:9875");
  EXPECT_EQ(string_of(fresh, "sap-session"), "Six");
  EXPECT_FALSE(gst_uri_handler_set_uri(GST_URI_HANDLER(fresh), "sap://?session=A&ttl=3", &err));
  ASSERT_NE(err, nullptr);
  EXPECT_NE(std::string(err->message).find("unknown key 'ttl'"), std::string::npos) << err->message;
  g_clear_error(&err);
  EXPECT_TRUE(gst_uri_handler_set_uri(GST_URI_HANDLER(fresh), "mcast://239.1.1.1:5000", &err));
  EXPECT_EQ(string_of(fresh, "sap-session"), "");
  EXPECT_EQ(string_of(fresh, "groups"), "239.1.1.1");
  gst_object_unref(fresh);
  gst_object_unref(e);
}

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
