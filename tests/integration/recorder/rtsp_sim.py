#!/usr/bin/python3
"""Camera simulator for the recorder's integration tests (run with Debian's /usr/bin/python3).

gst-rtsp-server serves each mount from a file, packetised without transcoding and
paced in real time; every client gets its own pipeline from the start of the file.

    rtsp_sim.py PORT [--auth=USER:PASSWORD] NAME=FILE:CODEC[:audio|:pcmu] ...
                [flip=FILE_A:CODEC_A,FILE_B:CODEC_B]

CODEC is h264 or h265. --auth makes every mount require HTTP Basic credentials
(the password may contain ':'). A mount named with a comma list alternates between its
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
    specs = sys.argv[2:]
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    role = None
    if specs and specs[0].startswith("--auth="):
        user, password = specs.pop(0).removeprefix("--auth=").split(":", 1)
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "user")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        server.set_auth(auth)
        role = Gst.Structure.from_string(
            "user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
        )[0]
    mounts = server.get_mount_points()
    for spec in specs:
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
        if role is not None:
            factory.add_role_from_structure(role)
        mounts.add_factory(f"/{name}", factory)
    server.attach(None)
    print(f"ready {port}", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
