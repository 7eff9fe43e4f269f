"""The OpenAPI 3 document of ``/api/v1``, as data (a test keeps it in step with the routes)."""

from __future__ import annotations

from typing import Any

from recognize import __version__
from recognize.api.openapi_schemas import SCHEMAS, STR, ref

ERROR = {"description": "an error (the JSON error envelope)",
         "content": {"application/json": {"schema": ref("Error")}}}


def _json(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


def q(name: str, schema: dict[str, Any], description: str = "", *, array: bool = False,
      required: bool = False) -> dict[str, Any]:
    if array:
        schema = {"type": "array", "items": schema}
    out: dict[str, Any] = {"name": name, "in": "query", "schema": schema, "required": required}
    if array:
        out.update(style="form", explode=True)
    if description:
        out["description"] = description
    return out


def p(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 0, "maximum": 2**62}}


PAGING = [q("offset", {"type": "integer", "minimum": 0, "maximum": 10**9}),
          q("limit", {"type": "integer", "minimum": 1, "maximum": 1000})]


def op(summary: str, ok: dict[str, Any] | None = None, *, status: str = "200",
       params: list[dict[str, Any]] | None = None, body: str | None = None,
       body_required: bool = True, public: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "summary": summary,
        "responses": {status: ok or {"description": "done (no content)"}, "default": ERROR},
    }
    if params:
        out["parameters"] = params
    if body:
        out["requestBody"] = {"required": body_required,
                              "content": {"application/json": {"schema": ref(body)}}}
    if public:
        out["security"] = []
    return out


IMAGE = {"description": "a JPEG", "content": {"image/jpeg": {"schema": {
    "type": "string", "format": "binary"}}}}
SIZE = q("size", {"type": "integer", "minimum": 16, "maximum": 512})
PHOTO_FILTERS = [
    q("mount", STR, "mount name (repeatable)", array=True),
    q("status", {"enum": ["queued", "ok", "partial", "failed"]}),
    q("from", STR, "taken on or after (YYYY, YYYY-MM-DD or ISO 8601)"),
    q("to", STR, "taken on or before (YYYY, YYYY-MM-DD or ISO 8601)"),
    q("camera", STR, "camera name contains"), q("country", STR, "country name or code"),
    q("city", STR), q("place", STR, "country, country code or city"),
    q("tag", {"type": "integer", "minimum": 1}, "tag id; repeat for AND", array=True),
    q("person", {"type": "integer", "minimum": 1}, "person id"),
    *PAGING,
]

PATHS: dict[str, Any] = {
    "/health": {"get": op("Health of the service and its store", _json("Health"),
                          public=True)},
    "/openapi.json": {"get": op("This document", {"description": "OpenAPI 3 document",
                                                  "content": {"application/json": {}}},
                                public=True)},
    "/photos": {"get": op("List photos with filters", _json("PhotoPage"),
                          params=PHOTO_FILTERS)},
    "/photos/{photo_id}": {"get": op("One photo", _json("Photo"), params=[p("photo_id")])},
    "/photos/{photo_id}/thumbnail": {"get": op(
        "Thumbnail (JPEG) of the smallest configured size not below `size`",
        {"description": "JPEG", "content": {"image/jpeg": {"schema": {"type": "string",
                                                                       "format": "binary"}}}},
        params=[p("photo_id"), q("size", {"type": "integer", "minimum": 1,
                                          "maximum": 10000})])},
    "/photos/{photo_id}/tags": {
        "get": op("The photo's tags with source and confidence", _json("TagsOfPhoto"),
                  params=[p("photo_id")]),
        "post": op("Put a tag on the photo (by id, or a user tag by name)",
                   _json("TagsOfPhoto", "tagged"), status="201", params=[p("photo_id")],
                   body="TagOnPhotoRequest"),
    },
    "/photos/{photo_id}/tags/{tag_id}": {"delete": op(
        "Take a tag off the photo", status="204", params=[p("photo_id"), p("tag_id")])},
    "/tags": {
        "get": op("Tags with photo counts (most used first)", _json("TagPage"),
                  params=[q("kind", STR), q("q", STR, "name prefix"), *PAGING]),
        "post": op("Create a user tag", _json("Tag", "created"), status="201", body="Name"),
    },
    "/tags/{tag_id}": {
        "get": op("One tag", _json("Tag"), params=[p("tag_id")]),
        "patch": op("Rename a user tag (others: 403)", _json("Tag"), params=[p("tag_id")],
                    body="Name"),
        "delete": op("Delete a user tag (others: 403)", status="204", params=[p("tag_id")]),
    },
    "/persons": {
        "get": op("Persons with face counts and cover (hidden=true: the hidden ones)",
                  _json("PersonPage"),
                  params=[q("named", {"enum": ["true", "false"]}),
                          q("hidden", {"enum": ["true", "false"]}), *PAGING]),
        "post": op("Create a named person", _json("Person", "created"), status="201",
                   body="Name"),
    },
    "/persons/split": {"post": op("Move faces into a new person", _json("Person", "created"),
                                  status="201", body="Split")},
    "/persons/{person_id}": {
        "get": op("One person", _json("Person"), params=[p("person_id")]),
        "patch": op("Rename (409 when the name is taken) and/or hide", _json("Person"),
                    params=[p("person_id")], body="PersonChange"),
        "delete": op("Delete (its faces stay out of it)", status="204",
                     params=[p("person_id")]),
    },
    "/persons/{person_id}/merge": {"post": op(
        "Merge another person into this one", _json("Person"), params=[p("person_id")],
        body="Merge")},
    "/persons/{person_id}/faces": {"get": op(
        "The person's faces", _json("FacePage"), params=[p("person_id"), *PAGING])},
    "/faces/unassigned": {"get": op("Faces in no person", _json("FacePage"), params=PAGING)},
    "/faces/{face_id}": {"get": op("One face", _json("Face"), params=[p("face_id")])},
    "/faces/{face_id}/person": {"put": op(
        "This face is that person (must-link)", _json("Face"), params=[p("face_id")],
        body="AssignFace")},
    "/faces/{face_id}/reject": {"post": op(
        "This face is not that person (cannot-link); default: its current person",
        _json("Face"), params=[p("face_id")], body="RejectFace", body_required=False)},
    "/faces/{face_id}/crop": {"get": op(
        "The face as a square JPEG", IMAGE, params=[p("face_id"), SIZE])},
    "/persons/{person_id}/cover": {"get": op(
        "The person's cover face as a square JPEG", IMAGE, params=[p("person_id"), SIZE])},
    "/faces/{face_id}/ignore": {
        "post": op("Not a face: kept, never clustered or listed", _json("Face"),
                   params=[p("face_id")]),
        "delete": op("Undo not a face", _json("Face"), params=[p("face_id")]),
    },
    "/faces/ignored": {"get": op("Faces marked not a face", _json("Faces"))},
    "/persons/{person_id}/suggestions": {"get": op(
        "Persons most likely the same, best first", _json("Suggestions"),
        params=[p("person_id"), q("limit", {"type": "integer", "minimum": 1, "maximum": 100})])},
    "/persons/{person_id}/suggestions/{other_id}/accept": {"post": op(
        "Merge the suggested person into this one", _json("Person"),
        params=[p("person_id"), p("other_id")])},
    "/persons/{person_id}/suggestions/{other_id}/reject": {"post": op(
        "Different people: never suggested or merged again", status="204",
        params=[p("person_id"), p("other_id")])},
    "/search": {"get": op("Search photos (see docs/api.md for the syntax)",
                          _json("SearchResult"),
                          params=[q("q", {"type": "string", "minLength": 1,
                                          "maxLength": 500}, required=True), *PAGING])},
    "/duplicates": {"get": op("Groups of near-duplicate photos (found by the duplicates job)",
                              _json("DuplicatePage"), params=[*PAGING])},
    "/jobs": {"get": op("Progress per mount and stage, recent job runs", _json("Jobs"))},
    "/config": {
        "get": op("Effective config, secrets redacted (admins only)", _json("Config")),
        "patch": op("Change thresholds (admins only; 422 lists every problem)",
                    _json("ConfigChanged"), body="ConfigPatch"),
    },
    "/tokens": {
        "get": op("Your API tokens", _json("Tokens")),
        "post": op("Create an API token (shown once)", _json("NewToken", "created"),
                   status="201", body="Name"),
    },
    "/tokens/{token_id}": {"delete": op("Revoke an API token", status="204",
                                        params=[p("token_id")])},
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "recognize", "version": __version__,
                 "description": "Photo recognition API: photos, tags, persons, faces, search."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"basic": []}, {"bearer": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"},
                                "bearer": {"type": "http", "scheme": "bearer"}},
        },
    }



