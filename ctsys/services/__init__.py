"""Appliance services: which run, on which ports; the SSH server's configuration."""
