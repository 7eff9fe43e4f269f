"""The PROPFIND body writer (recognize.dav.multistatus) against wsgidav's own: same bytes."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import pytest
from wsgidav import util, xml_tools
from wsgidav.dav_error import HTTP_FORBIDDEN, HTTP_NOT_FOUND, DAVError

from recognize.dav.app import propfind_request
from recognize.dav.multistatus import Multistatus

OC = "http://owncloud.org/ns"
NC = "http://nextcloud.org/ns"


def stock(responses: list[tuple[str, list[tuple[str, Any]]]]) -> bytes:
    root = xml_tools.make_multistatus_el()
    for href, props in responses:
        util.add_property_response(root, href, props)
    return bytes(xml_tools.xml_to_bytes(root, pretty=False))


def ours(responses: list[tuple[str, list[tuple[str, Any]]]]) -> bytes:
    body = Multistatus()
    for href, props in responses:
        body.add(href, props)
    return body.body()


def collection() -> ElementTree.Element:
    resourcetype = ElementTree.Element("{DAV:}resourcetype")
    ElementTree.SubElement(resourcetype, "{DAV:}collection")
    return resourcetype


def lock() -> ElementTree.Element:
    entry = ElementTree.Element("{DAV:}lockentry")
    scope = ElementTree.SubElement(entry, "{DAV:}lockscope")
    ElementTree.SubElement(scope, "{DAV:}exclusive")
    owner = ElementTree.SubElement(entry, f"{{{OC}}}owner", {f"{{{NC}}}who": 'a "b"\n<c>'})
    owner.text = "ann & bob"
    owner.tail = " "
    return entry


CASES = {
    "empty": [],
    "one file": [("/dav/people/Ann/a.jpg", [
        ("{DAV:}getcontentlength", 1234), ("{DAV:}getetag", '"abc"'),
        ("{DAV:}getlastmodified", "Tue, 01 Dec 2026 10:00:00 GMT"), ("{DAV:}resourcetype", None),
        (f"{{{OC}}}permissions", ""), (f"{{{OC}}}id", "00000001ocabc"),
    ])],
    "folders, statuses and namespaces": [
        ("/dav/people/", [("{DAV:}resourcetype", collection()),
                          ("{DAV:}quota-used-bytes", DAVError(HTTP_NOT_FOUND)),
                          (f"{{{NC}}}has-preview", "false"),
                          ("{DAV:}getcontentlength", DAVError(HTTP_NOT_FOUND))]),
        ("/dav/people/Ann%20%26%20Bo/", [("{DAV:}resourcetype", collection()),
                                         ("{http://example.com/x}odd", "1 < 2 & 3 > 2"),
                                         ("{DAV:}supportedlock", lock()),
                                         ("{DAV:}lockdiscovery", DAVError(HTTP_FORBIDDEN)),
                                         ("nonamespace", "x"),
                                         ("{DAV:}displayname", "Zoë ☃ \U0001f600")]),
        ("/dav/tags/", []),
    ],
}


@pytest.mark.parametrize("case", CASES)
def test_the_body_is_what_wsgidav_writes(case: str) -> None:
    assert ours(CASES[case]) == stock(CASES[case])


def test_a_large_listing_is_what_wsgidav_writes() -> None:
    responses = [(f"/dav/people/P/IMG_{i:05d}.jpg", [
        ("{DAV:}getcontentlength", i), ("{DAV:}resourcetype", None),
        (f"{{{OC}}}id", f"{i:08d}oc"), ("{DAV:}quota-used-bytes", DAVError(HTTP_NOT_FOUND)),
    ]) for i in range(500)]
    assert ours(responses) == stock(responses)


@pytest.mark.parametrize(("xml", "expected"), [
    (None, ("allprop", [])),
    ("<d:propfind xmlns:d='DAV:'><d:allprop/></d:propfind>", ("allprop", [])),
    ("<d:propfind xmlns:d='DAV:'><d:propname/></d:propfind>", ("name", [])),
    ("<d:propfind xmlns:d='DAV:'><d:name/></d:propfind>", ("name", [])),
    ("<d:propfind xmlns:d='DAV:' xmlns:o='http://owncloud.org/ns'><d:prop><d:getetag/>"
     "<o:id/></d:prop></d:propfind>", ("named", ["{DAV:}getetag", f"{{{OC}}}id"])),
])
def test_the_request_is_read_as_wsgidav_reads_it(xml: str | None, expected: Any) -> None:
    assert propfind_request(None if xml is None else ElementTree.fromstring(xml)) == expected


@pytest.mark.parametrize("xml", [
    "<d:propfind xmlns:d='DAV:'><d:allprop/><d:prop><d:getetag/></d:prop></d:propfind>",
    "<d:propfind xmlns:d='DAV:'><d:prop><d:getetag/></d:prop><d:name/></d:propfind>",
    "<d:propupdate xmlns:d='DAV:'/>",
])
def test_a_bad_request_is_refused(xml: str) -> None:
    with pytest.raises(DAVError) as refused:
        propfind_request(ElementTree.fromstring(xml))
    assert refused.value.value == 400
