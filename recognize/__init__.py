"""recognize: self-hosted photo recognition served over WebDAV and a JSON API."""

__version__ = "0.1.0"
