"""`ctsys cert`: the appliance's TLS certificate (self-signed or imported), used by the web
server and the camera admin proxy. Keys are secrets: they live beside the document
(/etc/ctsys/tls), never inside it."""
