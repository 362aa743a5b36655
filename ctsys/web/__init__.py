"""The appliance's web server: HTTPS with the appliance certificate (nginx), HTTP only redirects.

Today it serves a landing page (this is a CT-Server appliance, its host name); the web UI
and the API (issue #15) are added to the same HTTPS server. The same nginx also runs the
relays of the network area (port forwards, camera admin proxy).
"""
