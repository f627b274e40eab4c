#!/usr/bin/python3
"""A local RTSP server for the live tests: serves one Matroska file
(H.264 or H.265) at rtsp://127.0.0.1:PORT/camera, from its start for each
client, paced in real time, over UDP or TCP as the client asks. Uses the GStreamer RTSP server
(Debian: python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good
gstreamer1.0-plugins-bad).

Usage: rtsp_server.py PORT FILE.mkv h264|h265
Prints "READY" on standard output once it listens; stops when its standard
input closes (so it never outlives the test that started it).
"""

import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main():
    port, path, codec = sys.argv[1], sys.argv[2], sys.argv[3]
    if codec not in ("h264", "h265"):
        sys.exit("codec must be h264 or h265")
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    # The parser re-sends the parameter sets with every key frame, so a
    # client that joins mid-stream can decode from the next one.
    factory.set_launch(
        f"( filesrc location={path} ! matroskademux ! {codec}parse config-interval=-1 "
        f"! rtp{codec}pay name=pay0 pt=96 config-interval=-1 )"
    )
    server.get_mount_points().add_factory("/camera", factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{port}")
    loop = GLib.MainLoop()

    def watch_stdin():
        sys.stdin.read()
        GLib.idle_add(loop.quit)

    threading.Thread(target=watch_stdin, daemon=True).start()
    print("READY", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
