"""`ctsys net`: NICs, bonds, VLANs, bandwidth caps, isolation firewall, port forwarding, camera proxy.

Logic lives in plain modules (netplan, firewall, shaping, relay, inventory,
session, rollback, activate); cli.py is a thin Click layer over them.
"""
