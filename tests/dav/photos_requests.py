"""The requests of the Nextcloud Photos client, as its source builds them (bodies, headers,
properties): see ``test_nextcloud_photos`` for where each comes from."""

from __future__ import annotations

from tests.dav.conftest import Client
from tests.dav.test_nextcloud import DEFAULT_PROPS, responses

API_KEY = {"X-Recognize-Api-Key": "a-key-recognize-does-not-check"}
PHOTOS_PROPS = [*DEFAULT_PROPS, "nc:metadata-photos-size", "nc:metadata-files-live-photo",
                "nc:metadata-blurhash", "nc:metadata-photos-original_date_time",
                "nc:metadata-photos-gps"]
DAV_PROPS = "\n".join(f"<{p} />" for p in PHOTOS_PROPS)
PROPFIND = f"""<?xml version="1.0"?>
			<d:propfind xmlns:d="DAV:"
				xmlns:oc="http://owncloud.org/ns"
				xmlns:nc="http://nextcloud.org/ns"
				xmlns:ocs="http://open-collaboration-services.org/ns">
				<d:prop>
					{DAV_PROPS}
				</d:prop>
			</d:propfind>"""
WEBDAV = {"Accept": "text/plain,application/xml", "Depth": "1"} | API_KEY
IMAGE_MIMES = ["image/png", "image/jpeg", "image/heic", "image/webp", "image/gif", "image/x-xbitmap",
               "image/bmp", "image/svg+xml"]
VIDEO_MIMES = ["video/mpeg", "video/ogg", "video/webm", "video/mp4", "video/x-m4v",
               "video/x-flv", "video/quicktime", "video/x-matroska", "video/MP2T", "video/3gpp"]

TAGS_IN_USE = """<?xml version="1.0"?>
\t\t\t<d:propfind  xmlns:d="DAV:"
\t\t\t\txmlns:oc="http://owncloud.org/ns" xmlns:nc="http://nextcloud.org/ns">
\t\t\t\t<d:prop>
\t\t\t\t\t<oc:id />
\t\t\t\t\t<oc:display-name />
\t\t\t\t\t<oc:user-visible />
\t\t\t\t\t<oc:user-assignable />
\t\t\t\t\t<oc:can-assign />
\t\t\t\t\t<nc:files-assigned/>
\t\t\t\t\t<nc:reference-fileid/>
\t\t\t\t</d:prop>
\t\t\t</d:propfind>"""


def tagged_images(tag_id: int) -> str:
    return f"""<?xml version="1.0"?>
\t\t\t<oc:filter-files
\t\t\t\txmlns:d="DAV:"
\t\t\t\txmlns:oc="http://owncloud.org/ns"
\t\t\t\txmlns:nc="http://nextcloud.org/ns"
\t\t\t\txmlns:ocs="http://open-collaboration-services.org/ns">
\t\t\t\t<d:prop>
\t\t\t\t\t{DAV_PROPS}
\t\t\t\t</d:prop>
\t\t\t\t<oc:filter-rules>
\t\t\t\t\t<oc:systemtag>{tag_id}</oc:systemtag>
\t\t\t\t</oc:filter-rules>
\t\t\t</oc:filter-files>"""


def photo_search(user: str, folders: list[str], first: int = 0, count: int = 200,
                 extra: str = "", mimes: list[str] | None = None) -> str:
    """PhotoSearch.ts's body: every allowed mime (or), the source folders, by date, paged."""
    or_mime = "".join(f"""
\t\t<d:eq>
\t\t\t<d:prop>
\t\t\t\t<d:getcontenttype/>
\t\t\t</d:prop>
\t\t\t<d:literal>{m}</d:literal>
\t\t</d:eq>
\t""" for m in (mimes or IMAGE_MIMES + VIDEO_MIMES))
    scopes = "\n".join(f"""
\t\t\t<d:scope>
\t\t\t\t<d:href>/files/{user}{folder}</d:href>
\t\t\t\t<d:depth>infinity</d:depth>
\t\t\t</d:scope>""" for folder in folders)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
\t\t<d:searchrequest xmlns:d="DAV:"
\t\t\txmlns:oc="http://owncloud.org/ns"
\t\t\txmlns:nc="http://nextcloud.org/ns"
\t\t\txmlns:ns="https://github.com/icewind1991/SearchDAV/ns"
\t\t\txmlns:ocs="http://open-collaboration-services.org/ns">
\t\t\t<d:basicsearch>
\t\t\t\t<d:select>
\t\t\t\t\t<d:prop>
\t\t\t\t\t\t{DAV_PROPS}
\t\t\t\t\t</d:prop>
\t\t\t\t</d:select>
\t\t\t\t<d:from>
\t\t\t\t\t{scopes}
\t\t\t\t</d:from>
\t\t\t\t<d:where>
\t\t\t\t\t<d:and>
\t\t\t\t\t\t<d:or>
\t\t\t\t\t\t\t{or_mime}
\t\t\t\t\t\t</d:or>
\t\t\t\t\t\t
\t\t\t\t\t\t
\t\t\t\t\t\t{extra}
\t\t\t\t\t</d:and>
\t\t\t\t</d:where>
\t\t\t\t<d:orderby>
\t\t\t\t\t<d:order>
\t\t\t\t\t\t<d:prop><nc:metadata-photos-original_date_time/></d:prop>
\t\t\t\t\t\t<d:descending/>
\t\t\t\t\t</d:order>
\t\t\t\t\t<d:order>
\t\t\t\t\t\t<d:prop><d:getlastmodified/></d:prop>
\t\t\t\t\t\t<d:descending/>
\t\t\t\t\t</d:order>
\t\t\t\t</d:orderby>
\t\t\t\t<d:limit>
\t\t\t\t\t<d:nresults>{count}</d:nresults>
\t\t\t\t\t<ns:firstresult>{first}</ns:firstresult>
\t\t\t\t</d:limit>
\t\t\t</d:basicsearch>
\t\t</d:searchrequest>"""


def search(client: Client, body: str) -> dict[str, dict[str, tuple[str, str | None]]]:
    return responses(client("SEARCH", "/dav/", body, {"Content-Type": "application/xml"}
                            | API_KEY))
