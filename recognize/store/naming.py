"""The one rule for names users give to persons and tags.

Names are stored NFC-normalised (so "é" typed on macOS and on Linux is one name) and must be
one usable path segment, because every name is also a WebDAV folder: not empty, not ``.`` or
``..``, no ``/`` or ``\\``, no control or unpaired surrogate characters, at most
:data:`MAX_NAME` characters. A person may not be called like an automatic label
("Person 12"), which would read as another, unnamed person.
"""

from __future__ import annotations

import re
import unicodedata

from recognize.errors import BadName

MAX_NAME = 128
AUTO_PERSON = re.compile(r"^person \d+$", re.IGNORECASE)


def clean(name: str, what: str = "name") -> str:
    """The name as stored, or BadName saying why it cannot be used."""
    text = unicodedata.normalize("NFC", name).strip()
    if not text or text in (".", ".."):
        raise BadName(f"a {what} cannot be called {name!r}")
    if len(text) > MAX_NAME:
        raise BadName(f"a {what} name has at most {MAX_NAME} characters")
    if "/" in text or "\\" in text:
        raise BadName(f"a {what} name cannot hold '/' or '\\' (it is also a folder name)")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") for c in text):
        raise BadName(f"a {what} name cannot hold control or unpaired characters")
    return text


def person_name(name: str) -> str:
    text = clean(name, "person")
    if AUTO_PERSON.match(text):
        raise BadName(f"{text!r} is how unnamed persons are shown: choose another name")
    return text


def tag_name(name: str) -> str:
    return clean(name, "tag")
