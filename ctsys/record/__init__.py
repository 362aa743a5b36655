"""`ctsys record ...`: drive the recorder daemon and its recordings."""
