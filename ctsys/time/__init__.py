"""`ctsys time`: chrony as NTP client and as NTP server for cameras; time zone; manual setting."""
