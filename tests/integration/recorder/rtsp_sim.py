#!/usr/bin/python3
"""Camera simulator for the recorder's integration tests (run with Debian's /usr/bin/python3).

gst-rtsp-server serves each mount from a file, packetised without transcoding and
paced in real time; every client gets its own pipeline from the start of the file.

    rtsp_sim.py PORT NAME=FILE:CODEC[:audio|:pcmu] ... [flip=FILE_A:CODEC_A,FILE_B:CODEC_B]

CODEC is h264 or h265. A mount named with a comma list alternates between its
sources on each new connection: a camera whose codec changes between sessions.
"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)


def launch(path: str, codec: str, audio: str) -> str:
    parse, pay = {"h264": ("h264parse", "rtph264pay"), "h265": ("h265parse", "rtph265pay")}[codec]
    text = (
        f"( filesrc location={path} ! qtdemux name=d d.video_0 ! queue ! "
        f"{parse} config-interval=-1 ! {pay} name=pay0 pt=96 config-interval=-1 "
    )
    if audio == "audio":  # AAC
        text += "d.audio_0 ! queue ! aacparse ! rtpmp4gpay name=pay1 pt=97 "
    elif audio == "pcmu":  # G.711 mu-law, as many cameras send
        text += "d.audio_0 ! queue ! rtppcmupay name=pay1 "
    return text + ")"


class Alternating(GstRtspServer.RTSPMediaFactory):
    """A new pipeline per client, cycling through several sources."""

    def __init__(self, launches: list[str]) -> None:
        super().__init__()
        self.launches = launches
        self.count = 0

    def do_create_element(self, url):  # type: ignore[no-untyped-def]
        text = self.launches[self.count % len(self.launches)]
        self.count += 1
        return Gst.parse_launch(text.strip("() "))


def main() -> None:
    port = sys.argv[1]
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    mounts = server.get_mount_points()
    for spec in sys.argv[2:]:
        name, sources = spec.split("=", 1)
        launches = []
        for source in sources.split(","):
            fields = source.split(":")
            launches.append(launch(fields[0], fields[1], fields[2] if len(fields) > 2 else ""))
        if len(launches) == 1:
            factory = GstRtspServer.RTSPMediaFactory()
            factory.set_launch(launches[0])
        else:
            factory = Alternating(launches)
        factory.set_shared(False)
        mounts.add_factory(f"/{name}", factory)
    server.attach(None)
    print(f"ready {port}", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
