"""Component schemas of the OpenAPI document (JSON Schema as OpenAPI 3.0 writes it)."""

from __future__ import annotations

from typing import Any


def obj(required: list[str] | None = None, **props: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required is not None:
        out["required"] = required
    return out


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
ID = {"type": "integer", "minimum": 1}
BOX = {"type": "array", "items": NUM, "minItems": 4, "maxItems": 4,
       "description": "x, y, width, height as fractions of the photo"}


def page_of(item: str) -> dict[str, Any]:
    return obj(["total", "offset", "limit", "items"], total=INT, offset=INT, limit=INT,
               items={"type": "array", "items": ref(item)})


SCHEMAS: dict[str, Any] = {
    "Error": obj(["error"], error=obj(
        ["status", "code", "message"], status=INT, code=STR, message=STR,
        details={"type": "array", "items": STR})),
    "Health": obj(["status", "store", "version"], status={"enum": ["ok", "degraded"]},
                  store=STR, version=STR),
    "PhotoTag": obj(["name", "kind", "confidence"], name=STR, kind=STR, confidence=NUM),
    "Photo": obj(
        ["id", "mount", "path", "name", "status"], id=ID, mount=STR, path=STR, name=STR,
        size=INT, status=STR, error=nullable(STR), width=nullable(INT), height=nullable(INT),
        mime=nullable(STR), taken_at=nullable(STR), tz_offset_min=nullable(INT),
        camera=nullable(STR), make=nullable(STR), model=nullable(STR), lens=nullable(STR),
        focal_length=nullable(NUM), focal_length_35mm=nullable(NUM),
        exposure_time=nullable(NUM), f_number=nullable(NUM), iso=nullable(INT),
        gps=nullable(obj(["lat", "lon"], lat=NUM, lon=NUM, alt=nullable(NUM))),
        place=nullable(obj(["country"], country_code=nullable(STR), country=STR,
                           city=nullable(STR))),
        phash=nullable(STR), dhash=nullable(STR),
        tags={"type": "array", "items": ref("PhotoTag")}, score=NUM,
        objects={"type": "array", "items": ref("PhotoObject")}),
    "PhotoObject": obj(["label", "score", "box"], label=STR, score=NUM,
                       box={"type": "array", "items": NUM, "minItems": 4, "maxItems": 4}),
    "PhotoPage": page_of("Photo"),
    "Duplicates": obj(["id", "photos"], id=ID, photos={"type": "array", "items": ref("Photo")}),
    "DuplicatePage": page_of("Duplicates"),
    "Tag": obj(["id", "name", "kind", "editable", "photos"], id=ID, name=STR, kind=STR,
               synset=nullable(STR), parent=nullable(STR), editable=BOOL, photos=INT),
    "TagPage": page_of("Tag"),
    "TagOnPhoto": obj(["id", "name", "kind", "confidence", "source"], id=ID, name=STR,
                      kind=STR, confidence=NUM, source=STR),
    "TagsOfPhoto": obj(["items"], items={"type": "array", "items": ref("TagOnPhoto")}),
    "Cover": obj(["face_id", "photo_id", "box"], face_id=ID, photo_id=ID, box=BOX),
    "Person": obj(["id", "name", "named", "hidden", "faces", "cover"], id=ID,
                  name=nullable(STR), named=BOOL, hidden=BOOL, faces=INT,
                  cover=nullable(ref("Cover"))),
    "PersonChange": obj(None, name={"type": "string", "minLength": 1, "maxLength": 128},
                        hidden=BOOL),
    "Faces": obj(["items"], items={"type": "array", "items": ref("Face")}),
    "Suggestions": obj(["items"], items={"type": "array", "items": obj(
        ["person_id", "name", "faces", "distance"], person_id=ID, name=nullable(STR),
        faces=INT, distance=NUM)}),
    "PersonPage": page_of("Person"),
    "Face": obj(["id", "photo_id", "box", "score", "person_id"], id=ID, photo_id=ID, box=BOX,
                score=NUM, person_id=nullable(INT), assigned_by=nullable(STR),
                quality=nullable(STR)),
    "FacePage": page_of("Face"),
    "SearchResult": obj(
        ["query", "terms", "unknown", "total", "total_is_lower_bound", "offset", "limit",
         "items"], query=STR,
        terms={"type": "array", "items": obj(["text", "matches"], text=STR,
                                             matches={"type": "array", "items": STR})},
        unknown={"type": "array", "items": STR}, total=INT, total_is_lower_bound={
            **BOOL, "description": "true: at least total photos match (a one-term search counts "
            "up to 1000 past the page's end)"},
        offset=INT, limit=INT,
        excluded={"type": "array", "items": obj(["text", "matches"], text=STR,
                                                matches={"type": "array", "items": STR})},
        items={"type": "array", "items": ref("Photo")}),
    "Jobs": obj(["stages", "runs"],
                stages={"type": "array", "items": obj(
                    ["mount", "stage", "total", "done", "failed", "queued"], mount=STR,
                    stage=STR, total=INT, done=INT, failed=INT, queued=INT, rate=NUM,
                    eta_seconds=nullable(NUM))},
                runs={"type": "array", "items": obj(
                    ["name", "status"], name=STR, node=STR, started_at=STR,
                    finished_at=nullable(STR), status=STR, detail=nullable(STR))}),
    "Config": {"type": "object", "description": "the effective config; secrets as ***"},
    "ConfigPatch": {
        "type": "object", "minProperties": 1,
        "description": "sections persons (any key), faces (min_score, min_size_px, "
                       "min_size_fraction, quality_min_size_px) and tags (any key) with the new values",
        "properties": {"persons": {"type": "object"}, "faces": {"type": "object"},
                       "tags": {"type": "object"}},
    },
    "ConfigChanged": obj(["changed", "persisted", "reclustering", "restaging", "config"],
                         changed={"type": "object"}, persisted=BOOL,
                         reclustering={"type": "array", "items": STR},
                         restaging={"type": "array", "items": STR}, config=ref("Config")),
    "Token": obj(["id", "name", "prefix", "created_at"], id=ID, name=STR, prefix=STR,
                 created_at=STR, last_used_at=nullable(STR)),
    "NewToken": obj(["id", "name", "prefix", "created_at", "token"], id=ID, name=STR,
                    prefix=STR, created_at=STR, last_used_at=nullable(STR), token=STR),
    "Tokens": obj(["items"], items={"type": "array", "items": ref("Token")}),
    "Name": obj(["name"], name={"type": "string", "minLength": 1, "maxLength": 128}),
    "TagOnPhotoRequest": obj(
        None, tag_id=ID, name={"type": "string", "minLength": 1, "maxLength": 128},
        confidence={"type": "number", "minimum": 0, "maximum": 1},
        source={"type": "string", "minLength": 1, "maxLength": 64}),
    "Merge": obj(["other"], other=ID),
    "Split": obj(["faces"], faces={"type": "array", "items": ID, "minItems": 1},
                 name={"type": "string", "minLength": 1, "maxLength": 128}),
    "AssignFace": obj(["person_id"], person_id=ID),
    "RejectFace": obj(None, person_id=ID),
}
