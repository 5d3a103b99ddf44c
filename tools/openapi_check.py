#!/usr/bin/env python3
"""Checks the HTTP service against docs/openapi.yaml (used by the Swift tests).

    openapi_check.py routes              prints "METHOD /path" for every operation
    openapi_check.py validate < lines    validates recorded responses, one JSON object a line:
                                         {"method", "path", "status", "content_type", "body"}

Exits 1 naming each response the document does not describe.
"""
import json
import os
import sys

import jsonschema
import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "openapi.yaml")


def load():
    with open(DOC) as f:
        return yaml.safe_load(f)


def deref(doc, node):
    while isinstance(node, dict) and set(node) == {"$ref"}:
        target = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


# Answers any route may give, before or instead of its own (docs/HTTP.md, "Bad input").
ANY_ROUTE = {404, 405, 431}


def route_of(doc, path):
    """The document's path template that `path` (without its query) matches, if any."""
    parts = path.split("?")[0].split("/")
    for template in doc["paths"]:
        t = template.split("/")
        if len(t) == len(parts) and all(a == b or (a.startswith("{") and a.endswith("}")) for a, b in zip(t, parts)):
            return template
    return None


def validate(doc, record):
    record["route"] = route_of(doc, record["path"]) or record["path"]
    operation = doc["paths"].get(record["route"], {}).get(record["method"].lower())
    if operation is None or (record["status"] in ANY_ROUTE and str(record["status"]) not in operation["responses"]):
        if record["status"] not in ANY_ROUTE:
            return "%s %s is not in the document" % (record["method"], record["path"])
        operation = {"responses": {str(record["status"]): {"$ref": "#/components/responses/NotFound"}}}
    response = operation["responses"].get(str(record["status"]))
    if response is None:
        return "%s %s answered %d, which the document does not list" % (record["method"], record["route"], record["status"])
    response = deref(doc, response)
    content = response.get("content")
    body = record.get("body", "")
    if not content:
        return None if body == "" else "%s %s %d has a body the document does not describe" % (record["method"], record["route"], record["status"])
    media = (record.get("content_type") or "").split(";")[0].strip()
    if media not in content:
        return "%s %s %d answered %s, documented: %s" % (record["method"], record["route"], record["status"], media, ", ".join(content))
    schema = content[media].get("schema")
    if schema is None or not media.endswith("json"):
        return None
    wrapped = dict(schema)
    wrapped["components"] = doc["components"]
    try:
        jsonschema.validate(json.loads(body), wrapped, cls=jsonschema.Draft202012Validator)
    except jsonschema.ValidationError as e:
        return "%s %s %d: %s at %s" % (record["method"], record["route"], record["status"], e.message, "/".join(map(str, e.absolute_path)))
    return None


def main():
    doc = load()
    if sys.argv[1:] == ["routes"]:
        for path, item in sorted(doc["paths"].items()):
            for method in METHODS:
                if method in item:
                    print("%s %s" % (method.upper(), path))
        return 0
    if sys.argv[1:] == ["validate"]:
        failures = [f for f in (validate(doc, json.loads(line)) for line in sys.stdin if line.strip()) if f]
        for f in failures:
            print(f)
        return 1 if failures else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
