"""Nextcloud's file queries, for the Photos client: ``REPORT oc:filter-files`` (its tag view,
``TaggedImages.ts``) and ``SEARCH d:basicsearch`` (its timeline, ``PhotoSearch.ts``).

Both answer with photos at their Nextcloud paths ``files/<user>/<mount>/<path>``
(:class:`recognize.dav.nextcloud_files.NcPhoto`). wsgidav knows neither method, so
:class:`NextcloudQueries` answers them before it. What is supported is listed in docs/dav.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from wsgidav import util, xml_tools
from wsgidav.dav_error import HTTP_BAD_REQUEST, HTTP_NOT_FOUND, DAVError
from wsgidav.mw.base_mw import BaseMiddleware

from recognize.dav.context import UserContext, context
from recognize.dav.files import home_alias
from recognize.dav.nextcloud_files import NcPhoto, ResultsFolder
from recognize.store import timeline
from recognize.store.system_tags import system_tags
from recognize.store.timeline import Condition, Scope

D, OC, NC = "{DAV:}", "{http://owncloud.org/ns}", "{http://nextcloud.org/ns}"
SEARCHDAV = "{https://github.com/icewind1991/SearchDAV/ns}"
DEFAULT_PROPS = [f"{D}getcontentlength", f"{D}getcontenttype", f"{D}getetag",
                 f"{D}getlastmodified", f"{D}displayname", f"{D}resourcetype", f"{OC}fileid"]
MAX_RESULTS = 1000  # one SEARCH page at most (Photos asks 200)
OPS = {"eq": "eq", "lt": "lt", "lte": "lte", "gt": "gt", "gte": "gte", "like": "like"}
PROP_FIELDS = {f"{D}getcontenttype": "mime", f"{NC}metadata-photos-original_date_time": "taken",
               f"{D}displayname": "name", f"{D}getcontentlength": "size", f"{OC}size": "size",
               f"{D}getlastmodified": "mtime"}


def bad(message: str) -> DAVError:
    return DAVError(HTTP_BAD_REQUEST, message)


class NextcloudQueries(BaseMiddleware):
    """REPORT and SEARCH, answered as Nextcloud does (207 with the asked properties)."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        method = environ.get("REQUEST_METHOD")
        provider = environ.get("wsgidav.provider")
        if method not in ("REPORT", "SEARCH") or provider is None:
            return self.next_app(environ, start_response)
        # a refusal (DAVError) is answered by recognize.dav.errors.ErrorBodies, reason and all
        ctx = context(provider.backend, environ)
        if not ctx.known:
            raise DAVError(HTTP_NOT_FOUND)
        body = util.parse_xml_body(environ, allow_empty=True)
        if body is None:
            raise bad(f"{method} needs an XML body")
        if method == "REPORT":
            rows, props = filter_files(ctx, environ.get("PATH_INFO", "/"), body)
        else:
            rows, props = basic_search(ctx, environ, body)
        folder = ResultsFolder(environ, ctx, rows)
        multistatus = xml_tools.make_multistatus_el()
        for entry in folder.get_member_list():
            assert isinstance(entry, NcPhoto)
            util.add_property_response(multistatus, entry.get_href(),
                                       entry.get_properties("named", name_list=props))
        return util.send_multi_status_response(environ, start_response, multistatus)


def _props(parent: Any) -> list[str]:
    prop = parent.find(f"{D}prop") if parent is not None else None
    names = [child.tag for child in prop] if prop is not None else []
    return [n for n in names if isinstance(n, str)] or DEFAULT_PROPS


def scope(ctx: UserContext, path: str) -> Scope | list[Scope]:
    """A tree path (``/files/[<user>/]<mount>/<folder>``) as the mounts/folder it covers."""
    inner = [p for p in home_alias(ctx, "/" + path.strip("/")).split("/") if p]
    if not inner or inner[0] != "files":
        raise DAVError(HTTP_NOT_FOUND, f"{path} is not a folder of files/<user>/")
    if len(inner) == 1:
        return [Scope(m.id) for m in ctx.mounts.values()]
    mount = ctx.mount_by_name(inner[1])
    if mount is None:
        raise DAVError(HTTP_NOT_FOUND, f"no folder {path}: the folders of files/{ctx.user}/ "
                       "are the mounts")
    return Scope(mount.id, "/".join(inner[2:]))


def _scopes(ctx: UserContext, path: str) -> list[Scope]:
    found = scope(ctx, path)
    return found if isinstance(found, list) else [found]


def filter_files(ctx: UserContext, path: str, body: Any) -> tuple[list[Any], list[str]]:
    """``<oc:filter-files>``: photos under ``path`` with every ``oc:systemtag`` of the rules."""
    if body.tag != f"{OC}filter-files":
        raise bad("the only REPORT here is oc:filter-files")
    rules = body.find(f"{OC}filter-rules")
    tag_ids: list[int] = []
    favorites = False
    for rule in list(rules) if rules is not None else []:
        text = (rule.text or "").strip()
        if rule.tag == f"{OC}systemtag" and text.isascii() and text.isdigit() and len(text) < 12:
            tag_ids.append(int(text))
        elif rule.tag == f"{OC}favorite" and text in ("0", "1"):
            favorites = favorites or text == "1"
        else:
            raise bad(f"unsupported filter rule {rule.tag}")
    if not tag_ids and not favorites:
        raise bad("oc:filter-files needs at least one oc:systemtag (or oc:favorite)")
    scopes = _scopes(ctx, path)
    with ctx.reading() as session:
        seen = {t.id for t in system_tags(session, ctx.viewer, tag_ids)}
        if favorites or not seen.issuperset(tag_ids):  # no favorites here; another's tag: none
            return [], _props(body)
        return timeline.tagged(session, ctx.user_id, scopes, tag_ids), _props(body)


def _href_path(environ: dict[str, Any], href: str) -> str:
    """A scope's ``d:href`` (absolute, or from the DAV root) as a path of the tree."""
    path = unquote(urlsplit(href.strip()).path)
    for root in (environ.get("SCRIPT_NAME", "").rstrip("/"), "/remote.php/dav"):
        if root and (path == root or path.startswith(root + "/")):
            return path[len(root):] or "/"
    return path


def _seconds(text: str) -> datetime:
    try:
        return datetime.fromtimestamp(float(text), UTC).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError, TypeError):
        raise bad(f"not a Unix time: {text!r}") from None


def where(node: Any) -> Condition:
    """``d:where`` children as a :data:`timeline.Condition` (unknown ones: 400)."""
    name = node.tag.removeprefix(D)
    if name in ("and", "or"):
        return (name, [where(c) for c in node])
    if name == "not":
        kids = list(node)
        if len(kids) != 1:
            raise bad("d:not takes one condition")
        return ("not", where(kids[0]))
    if name == "is-collection":
        return ("const", False)
    if name not in OPS:
        raise bad(f"unsupported search operator {node.tag}")
    prop, literal = node.find(f"{D}prop"), node.findtext(f"{D}literal")
    if prop is None or len(prop) != 1 or literal is None:
        raise bad(f"d:{name} needs one d:prop and a d:literal")
    key = prop[0].tag
    if key == f"{OC}favorite":  # nothing is a favorite here
        return ("const", literal.strip() in ("0", "false") if name == "eq" else False)
    field = PROP_FIELDS.get(key)
    if field is None:
        raise bad(f"cannot search by {key}")
    value: Any = literal.strip()
    if field == "taken":
        value = _seconds(value)
    elif field == "mtime":
        value = max(min(int(_http_date(value).timestamp() * 1e9), 2**62), -(2**62))
    elif field == "size":
        if not (value.isascii() and value.isdigit()) or len(value) > 15:
            raise bad(f"not a size: {value!r}")
        value = int(value)
    if name == "like" and field not in ("mime", "name"):
        raise bad("d:like works on d:getcontenttype and d:displayname")
    return (field, OPS[name], value)


def _http_date(text: str) -> datetime:
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(text) if not text.isdigit() else _seconds(text)
    except (TypeError, ValueError):
        raise bad(f"not a date: {text!r}") from None


def _int(node: Any, name: str, default: int) -> int:
    text = (node.findtext(name) or "").strip() if node is not None else ""
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise bad(f"{name} must be a number below 10^9")
    return int(text)


def basic_search(ctx: UserContext, environ: dict[str, Any], body: Any
                 ) -> tuple[list[Any], list[str]]:
    """``<d:searchrequest><d:basicsearch>`` over ``d:from/d:scope`` (any depth: the folder
    and below), ordered by the date taken, paged by ``d:nresults``/``ns:firstresult``."""
    search = body.find(f"{D}basicsearch") if body.tag == f"{D}searchrequest" else None
    if search is None:
        raise bad("SEARCH needs d:searchrequest/d:basicsearch")
    scopes: list[Scope] = []
    for found in search.iter(f"{D}scope"):
        scopes += _scopes(ctx, _href_path(environ, found.findtext(f"{D}href") or ""))
    if not scopes:
        raise bad("d:from needs a d:scope with a d:href")
    clause = search.find(f"{D}where")
    cond: Condition = ("and", [where(c) for c in clause]) if clause is not None else ("and", [])
    order = search.find(f"{D}orderby")
    first = order.find(f"{D}order") if order is not None else None
    ascending = first is not None and first.find(f"{D}ascending") is not None
    limit = search.find(f"{D}limit")
    count = min(_int(limit, f"{D}nresults", MAX_RESULTS), MAX_RESULTS)
    offset = _int(limit, f"{SEARCHDAV}firstresult", 0)
    with ctx.reading() as session:
        rows = timeline.timeline(session, scopes, cond, offset, count, ascending=ascending)
    return rows, _props(search.find(f"{D}select"))
