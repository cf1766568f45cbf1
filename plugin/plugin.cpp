// The mcastexpert plugin: interface-pinned multicast send and receive.
#include <gst/gst.h>

#include "gstmcastexpertdeviceprovider.h"
#include "gstmcastexpertsink.h"
#include "gstmcastexpertsrc.h"

static gboolean plugin_init(GstPlugin* plugin) {
  gboolean ok = FALSE;
  ok |= GST_ELEMENT_REGISTER(mcastexpertsrc, plugin);
  ok |= GST_ELEMENT_REGISTER(mcastexpertsink, plugin);
  ok |= GST_DEVICE_PROVIDER_REGISTER(mcastexpertdeviceprovider, plugin);
  return ok;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, mcastexpert,
                  "Multicast that stays on the network interface you name", plugin_init, PACKAGE_VERSION, "LGPL",
                  "mcastexpert", "Unknown package origin")
