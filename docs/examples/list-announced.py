#!/usr/bin/env python3
"""Lists the streams announced by SAP on this host's networks as they appear and disappear, through GStreamer's
device monitor and mcastexpertdeviceprovider, and makes the mcastexpertsrc that would receive each one.

    python3 list-announced.py [SECONDS]

Runs until Ctrl-C, or for SECONDS. Needs PyGObject and GStreamer's introspection data (Debian: python3-gi
gir1.2-gstreamer-1.0)."""

import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def main():
    Gst.init(None)
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else None
    monitor = Gst.DeviceMonitor.new()
    monitor.add_filter("Source/Network", None)
    if not monitor.start():
        sys.exit("cannot start the device monitor")
    bus = monitor.get_bus()
    wanted = Gst.MessageType.DEVICE_ADDED | Gst.MessageType.DEVICE_REMOVED
    end = time.monotonic() + seconds if seconds else None
    while end is None or time.monotonic() < end:
        message = bus.timed_pop_filtered(Gst.SECOND // 10, wanted)
        if message is None:
            continue
        if message.type == Gst.MessageType.DEVICE_ADDED:
            device = message.parse_device_added()
            props = device.get_properties()
            print(f"+ {device.get_display_name()} ({device.get_device_class()}): {props.get_string('groups')} "
                  f"port {props.get_uint('port')[1]} from {props.get_string('origin')} on {props.get_string('iface')}")
            # The element that receives it: an mcastexpertsrc with the SDP, pinned to the interface it was heard on.
            src = device.create_element(None)
            print(f"  {src.get_factory().get_name()} iface={src.get_property('iface')}")
        else:
            print(f"- {message.parse_device_removed().get_display_name()}")
        sys.stdout.flush()
    monitor.stop()


if __name__ == "__main__":
    main()
