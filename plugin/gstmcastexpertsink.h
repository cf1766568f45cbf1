#pragma once

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_MCASTEXPERT_SINK (gst_mcastexpert_sink_get_type())
G_DECLARE_FINAL_TYPE(GstMcastExpertSink, gst_mcastexpert_sink, GST, MCASTEXPERT_SINK, GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE(mcastexpertsink);

G_END_DECLS
