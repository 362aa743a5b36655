"""`ctsys camera ...`: the cameras the recorder records."""
