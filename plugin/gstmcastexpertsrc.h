#pragma once

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_MCASTEXPERT_SRC (gst_mcastexpert_src_get_type())
G_DECLARE_FINAL_TYPE(GstMcastExpertSrc, gst_mcastexpert_src, GST, MCASTEXPERT_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE(mcastexpertsrc);

G_END_DECLS
