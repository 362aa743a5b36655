"""ctsys: the CT-Server appliance system tool."""

__version__ = "0.1.0"
