"""System identity: hostname, time zone, locale, keyboard, administrator account."""
