"""CT-Server recorder daemon: IP camera streams to Matroska segments, without transcoding."""

__all__ = ["__version__"]
__version__ = "0.1.0"
