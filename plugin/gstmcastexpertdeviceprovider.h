// mcastexpertdeviceprovider: the streams announced by SAP, as devices (gst-device-monitor-1.0 Source/Network).
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_MCASTEXPERT_DEVICE_PROVIDER (gst_mcastexpert_device_provider_get_type())
G_DECLARE_FINAL_TYPE(GstMcastExpertDeviceProvider, gst_mcastexpert_device_provider, GST, MCASTEXPERT_DEVICE_PROVIDER,
                     GstDeviceProvider)

#define GST_TYPE_MCASTEXPERT_DEVICE (gst_mcastexpert_device_get_type())
G_DECLARE_FINAL_TYPE(GstMcastExpertDevice, gst_mcastexpert_device, GST, MCASTEXPERT_DEVICE, GstDevice)

GST_DEVICE_PROVIDER_REGISTER_DECLARE(mcastexpertdeviceprovider);

G_END_DECLS
