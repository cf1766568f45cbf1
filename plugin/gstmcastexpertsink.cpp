#include "gstmcastexpertsink.h"

GST_DEBUG_CATEGORY_STATIC(mcastexpert_sink_debug);
#define GST_CAT_DEFAULT mcastexpert_sink_debug

struct _GstMcastExpertSink {
  GstBaseSink parent;
};

G_DEFINE_TYPE(GstMcastExpertSink, gst_mcastexpert_sink, GST_TYPE_BASE_SINK)
GST_ELEMENT_REGISTER_DEFINE(mcastexpertsink, "mcastexpertsink", GST_RANK_NONE, GST_TYPE_MCASTEXPERT_SINK)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static void gst_mcastexpert_sink_class_init(GstMcastExpertSinkClass* klass) {
  auto* element_class = GST_ELEMENT_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(mcastexpert_sink_debug, "mcastexpertsink", 0, "mcastexpert multicast sender");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(element_class, "Multicast sender (interface-pinned)", "Sink/Network",
                                        "Sends datagrams to multicast groups by the interfaces you name",
                                        "mcastexpert developers");
}

static void gst_mcastexpert_sink_init(GstMcastExpertSink*) {}
