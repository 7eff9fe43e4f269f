"""The WebDAV tree (wsgidav provider): people, unassigned, tags, places, dates, duplicates, files."""

from recognize.dav.app import MOUNT_PATH, host_root, make_dav_app

__all__ = ["MOUNT_PATH", "host_root", "make_dav_app"]
