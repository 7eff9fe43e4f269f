"""PROPFIND's 207 Multi-Status body written as text, byte for byte what wsgidav writes.

wsgidav builds an ElementTree element per property, response and status and serialises the
tree at the end (``util.add_property_response`` + ``xml_tools.xml_to_bytes``); for a folder
of 10,000 photos that is most of the request's time. :class:`Multistatus` writes the same
bytes directly: the same namespace prefixes (ElementTree's: registered ones, else ``ns<n>``
in order of first use, all declared on the root, sorted by prefix), the same grouping of
properties by status, the same escapes and the same ``" />"`` for empty elements. An
element value (``resourcetype``'s ``<collection/>``, a lock) is written by the same rules.
``tests/dav/test_multistatus.py`` compares both writers' bytes.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from wsgidav.dav_error import DAVError
from wsgidav.util import get_http_status_string, to_unicode_safe

DECLARATION = '<?xml version="1.0" encoding="utf-8" ?>\n'  # what xml_tools.xml_to_bytes adds
REGISTERED: dict[str, str] = getattr(ElementTree, "_namespace_map", {})  # register_namespace's


def text(value: str) -> str:
    """Character data escaped as ElementTree does."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value


def attribute(value: str) -> str:
    """An attribute value escaped as ElementTree does."""
    value = text(value).replace('"', "&quot;")
    return value.replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#09;")


class Multistatus:
    """One ``<multistatus>`` body: :meth:`add` a response per resource, then :meth:`body`."""

    def __init__(self) -> None:
        self.prefixes: dict[str, str] = {}  # namespace URI -> prefix, in order of first use
        self.names: dict[str, str] = {}  # "{uri}local" -> "prefix:local"
        self.parts: list[str] = []
        self.root = self.name("{DAV:}multistatus")
        self.response, self.href, self.propstat, self.prop, self.status = (
            self.name("{DAV:}" + tag) for tag in ("response", "href", "propstat", "prop", "status"))

    def name(self, qname: str) -> str:
        """The prefixed name ElementTree gives ``qname``, assigning a prefix on first use."""
        known = self.names.get(qname)
        if known is not None:
            return known
        if qname[:1] == "{":
            uri, local = qname[1:].rsplit("}", 1)
            prefix = self.prefixes.get(uri)
            if prefix is None:
                prefix = REGISTERED.get(uri) or f"ns{len(self.prefixes)}"
                if prefix != "xml":
                    self.prefixes[uri] = prefix
            known = f"{prefix}:{local}" if prefix else local
        else:
            known = qname
        self.names[qname] = known
        return known

    def add(self, href: str, props: list[tuple[str, Any]]) -> None:
        """One ``<response>``: the href and a ``<propstat>`` per status, as wsgidav groups them
        (values: text, None for an empty element, an Element, or a DAVError for its status)."""
        by_status: dict[str, list[tuple[str, Any]]] = {}
        for prop, value in props:
            status = "200 OK"
            if isinstance(value, DAVError):
                status, value = get_http_status_string(value), None
            by_status.setdefault(status, []).append((prop, value))
        write = self.parts.append
        write(f"<{self.response}>")
        self.leaf(self.href, href)
        for status, values in by_status.items():
            write(f"<{self.propstat}><{self.prop}>")
            for prop, value in values:
                if value is None:
                    write(f"<{self.name(prop)} />")
                elif isinstance(value, ElementTree.Element):
                    self.element(value)
                else:
                    self.leaf(self.name(prop), to_unicode_safe(value))
            write(f"</{self.prop}>")
            self.leaf(self.status, f"HTTP/1.1 {status}")
            write(f"</{self.propstat}>")
        write(f"</{self.response}>")

    def leaf(self, tag: str, value: str) -> None:
        if value:
            self.parts.append(f"<{tag}>{text(value)}</{tag}>")
        else:
            self.parts.append(f"<{tag} />")

    def element(self, elem: ElementTree.Element) -> None:
        if not isinstance(elem.tag, str):  # a comment or processing instruction: not a property
            raise TypeError(f"cannot write {elem.tag!r} in a multistatus body")
        tag = self.name(elem.tag)
        attrs = "".join(f' {self.name(key)}="{attribute(value)}"' for key, value in elem.items())
        if elem.text or len(elem):
            self.parts.append(f"<{tag}{attrs}>{text(elem.text or '')}")
            for child in elem:
                self.element(child)
            self.parts.append(f"</{tag}>")
        else:
            self.parts.append(f"<{tag}{attrs} />")
        if elem.tail:
            self.parts.append(text(elem.tail))

    def body(self) -> bytes:
        declarations = "".join(
            f' xmlns:{prefix}="{attribute(uri)}"' if prefix else f' xmlns="{attribute(uri)}"'
            for uri, prefix in sorted(self.prefixes.items(), key=lambda item: item[1]))
        if not self.parts:
            document = f"{DECLARATION}<{self.root}{declarations} />"
        else:
            document = f"{DECLARATION}<{self.root}{declarations}>{''.join(self.parts)}</{self.root}>"
        return document.encode("utf-8", "xmlcharrefreplace")
