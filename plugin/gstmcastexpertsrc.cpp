#include "gstmcastexpertsrc.h"

GST_DEBUG_CATEGORY_STATIC(mcastexpert_src_debug);
#define GST_CAT_DEFAULT mcastexpert_src_debug

struct _GstMcastExpertSrc {
  GstPushSrc parent;
};

G_DEFINE_TYPE(GstMcastExpertSrc, gst_mcastexpert_src, GST_TYPE_PUSH_SRC)
GST_ELEMENT_REGISTER_DEFINE(mcastexpertsrc, "mcastexpertsrc", GST_RANK_NONE, GST_TYPE_MCASTEXPERT_SRC)

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static void gst_mcastexpert_src_class_init(GstMcastExpertSrcClass* klass) {
  auto* element_class = GST_ELEMENT_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(mcastexpert_src_debug, "mcastexpertsrc", 0, "mcastexpert multicast receiver");
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "Multicast receiver (interface-pinned)", "Source/Network",
                                        "Joins multicast groups on the interfaces you name and receives their datagrams",
                                        "mcastexpert developers");
}

static void gst_mcastexpert_src_init(GstMcastExpertSrc*) {}
