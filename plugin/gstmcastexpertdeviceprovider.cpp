/**
 * SECTION:provider-mcastexpertdeviceprovider
 * @title: mcastexpertdeviceprovider
 *
 * Lists the streams announced by SAP (RFC 2974) on this host's networks as devices: Dante and AES67 devices,
 * PipeWire, FFmpeg's `-f sap`, `mcastexpert announce` and `mcastexpertsink sap=true`. A listener thread joins the SAP
 * groups (239.255.255.255, 224.2.127.254, 224.0.0.56 and, where there is IPv6, ff02::2:7ffe, ff05::2:7ffe,
 * ff08::2:7ffe; port 9875) on the interfaces the source joins on by default,
 * and adds, updates and removes devices as sessions are announced, changed, deleted or fall silent. Each device's
 * display name is the session's `s=`, its class `Audio/Source/Network`, `Video/Source/Network` or `Source/Network`,
 * its caps those the SDP gives, and its properties the SDP, the announcer, the groups, port and senders, and the
 * interface and SAP group it was heard on. gst_device_create_element() gives an `mcastexpertsrc` that receives it,
 * pinned to that interface.
 *
 * |[
 * gst-device-monitor-1.0 -f Source/Network
 * ]| Shows announced streams as they appear and disappear.
 *
 * Since: 0.4
 */
#include "gstmcastexpertdeviceprovider.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "address_list.hpp"
#include "element_common.h"
#include "error.hpp"
#include "reception_plan.hpp"
#include "sap_listener.hpp"
#include "sdp_reading.hpp"

GST_DEBUG_CATEGORY_STATIC(mcastexpert_provider_debug);
#define GST_CAT_DEFAULT mcastexpert_provider_debug

using namespace mcastexpert;

// --- the device: one announced session ---

struct _GstMcastExpertDevice {
  GstDevice parent;
  gchar* sdp;    // what mcastexpertsrc receives
  gchar* iface;  // where it was heard
};

G_DEFINE_TYPE(GstMcastExpertDevice, gst_mcastexpert_device, GST_TYPE_DEVICE)

static GstElement* gst_mcastexpert_device_create_element(GstDevice* device, const gchar* name) {
  auto* self = GST_MCASTEXPERT_DEVICE(device);
  GstElement* src = gst_element_factory_make("mcastexpertsrc", name);
  if (src != nullptr) g_object_set(src, "sdp", self->sdp, "iface", self->iface, nullptr);
  return src;
}

static void gst_mcastexpert_device_finalize(GObject* object) {
  auto* self = GST_MCASTEXPERT_DEVICE(object);
  g_free(self->sdp);
  g_free(self->iface);
  G_OBJECT_CLASS(gst_mcastexpert_device_parent_class)->finalize(object);
}

static void gst_mcastexpert_device_class_init(GstMcastExpertDeviceClass* klass) {
  G_OBJECT_CLASS(klass)->finalize = gst_mcastexpert_device_finalize;
  GST_DEVICE_CLASS(klass)->create_element = gst_mcastexpert_device_create_element;
}

static void gst_mcastexpert_device_init(GstMcastExpertDevice*) {}

// A device for `s`, or nullptr when the source could not receive what its SDP describes.
static GstDevice* device_for(const AnnouncedSession& s) {
  StreamDescription d;
  try {
    d = read_sdp(s.sdp);
  } catch (const Error& e) {
    GST_INFO("announced session \"%s\" is not receivable: %s", s.name.c_str(), e.what());
    return nullptr;
  }
  const ReceptionPlan plan = plan_reception(d, s.ifname);
  GstCaps* caps = gst_caps_from_string(d.caps.c_str());
  const char* klass = d.media == "audio"   ? "Audio/Source/Network"
                      : d.media == "video" ? "Video/Source/Network"
                                           : "Source/Network";
  GstStructure* props = gst_structure_new(
      "mcastexpert-sap-session", "sdp", G_TYPE_STRING, s.sdp.c_str(), "origin", G_TYPE_STRING,
      s.origin.to_string().c_str(), "groups", G_TYPE_STRING, plan.groups.c_str(), "port", G_TYPE_UINT,
      static_cast<guint>(plan.port), "sources", G_TYPE_STRING, plan.sources.c_str(), "iface", G_TYPE_STRING,
      s.ifname.c_str(), "sap-group", G_TYPE_STRING, s.sap_group.to_string().c_str(), nullptr);
  auto* device = static_cast<GstMcastExpertDevice*>(
      g_object_new(GST_TYPE_MCASTEXPERT_DEVICE, "display-name", s.name.empty() ? "(unnamed stream)" : s.name.c_str(),
                   "device-class", klass, "caps", caps, "properties", props, nullptr));
  device->sdp = g_strdup(s.sdp.c_str());
  device->iface = g_strdup(s.ifname.c_str());
  gst_caps_unref(caps);
  gst_structure_free(props);
  return GST_DEVICE(device);
}

// --- the provider: a SAP listener thread ---

struct ProviderState {
  std::thread listener;
  Waker stop;
  std::mutex lock;                                          // guards devices
  std::vector<std::pair<std::string, GstDevice*>> devices;  // by session key, the provider's own refs
};

struct _GstMcastExpertDeviceProvider {
  GstDeviceProvider parent;
  ProviderState* state;
};

G_DEFINE_TYPE(GstMcastExpertDeviceProvider, gst_mcastexpert_device_provider, GST_TYPE_DEVICE_PROVIDER)
GST_DEVICE_PROVIDER_REGISTER_DEFINE(mcastexpertdeviceprovider, "mcastexpertdeviceprovider", GST_RANK_SECONDARY,
                                    GST_TYPE_MCASTEXPERT_DEVICE_PROVIDER)

static void forget(GstMcastExpertDeviceProvider* self, const std::string& key) {
  GstDevice* gone = nullptr;
  {
    std::lock_guard<std::mutex> lock(self->state->lock);
    auto& devices = self->state->devices;
    for (auto it = devices.begin(); it != devices.end(); ++it)
      if (it->first == key) {
        gone = it->second;
        devices.erase(it);
        break;
      }
  }
  if (gone == nullptr) return;
  gst_device_provider_device_remove(GST_DEVICE_PROVIDER(self), gone);
  gst_object_unref(gone);
}

static void add(GstMcastExpertDeviceProvider* self, const AnnouncedSession& session) {
  GstDevice* device = device_for(session);
  if (device == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(self->state->lock);
    self->state->devices.emplace_back(session.key, GST_DEVICE(gst_object_ref(device)));
  }
  gst_device_provider_device_add(GST_DEVICE_PROVIDER(self), device);  // takes the floating ref
}

static void listen(GstMcastExpertDeviceProvider* self) {
  std::unique_ptr<SapListener> listener;
  try {
    SapListenerSettings settings;
    settings.log = [self](const std::string& line) { GST_DEBUG_OBJECT(self, "%s", line.c_str()); };
    listener = std::make_unique<SapListener>(settings);
  } catch (const Error& e) {
    GST_WARNING_OBJECT(self, "cannot listen for SAP: %s", plugin::describe(e).c_str());
    return;
  }
  GST_INFO_OBJECT(self, "listening for SAP on %s (%s)", listener->interfaces().c_str(), listener->groups().c_str());
  std::vector<SapEvent> events;
  while (true) {
    try {
      if (!listener->listen(1000, self->state->stop, events)) break;
    } catch (const Error& e) {
      GST_WARNING_OBJECT(self, "SAP listening failed: %s", plugin::describe(e).c_str());
      break;
    }
    for (const auto& e : events) {
      switch (e.kind) {
        case SapEvent::Kind::Added: add(self, e.session); break;
        case SapEvent::Kind::Updated:
          forget(self, e.session.key);
          add(self, e.session);
          break;
        case SapEvent::Kind::Deleted:
        case SapEvent::Kind::Expired: forget(self, e.session.key); break;
        case SapEvent::Kind::Refused:
          GST_WARNING_OBJECT(self, "more than %zu sessions announced: the rest are not listed",
                             SapDirectory::kMaxSessions);
          break;
      }
    }
  }
  std::vector<std::pair<std::string, GstDevice*>> left;
  {
    std::lock_guard<std::mutex> lock(self->state->lock);
    left.swap(self->state->devices);
  }
  for (auto& [key, device] : left) {
    gst_device_provider_device_remove(GST_DEVICE_PROVIDER(self), device);
    gst_object_unref(device);
  }
}

static gboolean gst_mcastexpert_device_provider_start(GstDeviceProvider* provider) {
  auto* self = GST_MCASTEXPERT_DEVICE_PROVIDER(provider);
  self->state->stop.clear();
  self->state->listener = std::thread([self] { listen(self); });
  return TRUE;
}

static void gst_mcastexpert_device_provider_stop(GstDeviceProvider* provider) {
  auto* self = GST_MCASTEXPERT_DEVICE_PROVIDER(provider);
  self->state->stop.wake();
  if (self->state->listener.joinable()) self->state->listener.join();
}

static GList* gst_mcastexpert_device_provider_probe(GstDeviceProvider* provider) {
  auto* self = GST_MCASTEXPERT_DEVICE_PROVIDER(provider);
  std::lock_guard<std::mutex> lock(self->state->lock);
  GList* list = nullptr;
  for (const auto& [key, device] : self->state->devices) list = g_list_append(list, gst_object_ref(device));
  return list;
}

static void gst_mcastexpert_device_provider_finalize(GObject* object) {
  auto* self = GST_MCASTEXPERT_DEVICE_PROVIDER(object);
  delete self->state;
  G_OBJECT_CLASS(gst_mcastexpert_device_provider_parent_class)->finalize(object);
}

static void gst_mcastexpert_device_provider_class_init(GstMcastExpertDeviceProviderClass* klass) {
  GST_DEBUG_CATEGORY_INIT(mcastexpert_provider_debug, "mcastexpertdeviceprovider", 0,
                          "streams announced by SAP, as devices");
  G_OBJECT_CLASS(klass)->finalize = gst_mcastexpert_device_provider_finalize;
  auto* dp = GST_DEVICE_PROVIDER_CLASS(klass);
  dp->probe = gst_mcastexpert_device_provider_probe;
  dp->start = gst_mcastexpert_device_provider_start;
  dp->stop = gst_mcastexpert_device_provider_stop;
  gst_device_provider_class_set_static_metadata(dp, "Streams announced by SAP", "Source/Network",
                                                "Lists the AV-over-IP streams announced by SAP (AES67, Dante, "
                                                "PipeWire, FFmpeg) as devices that make an interface-pinned "
                                                "mcastexpertsrc",
                                                "mcastexpert developers");
}

static void gst_mcastexpert_device_provider_init(GstMcastExpertDeviceProvider* self) {
  self->state = new ProviderState();
}
