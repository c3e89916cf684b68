"""A small JSON Schema validator (standard library only) for the subset of
draft 2019-09 the dev container spec's schema uses: $ref (to this document),
type, enum, pattern, minimum, maximum, properties, patternProperties,
additionalProperties, required, items, allOf, anyOf, oneOf and
unevaluatedProperties. Annotations (description, default, format, ...) are
not checked; a keyword it does not know is an error, so a newer schema that
needs more is refused rather than half read."""

import re

ANNOTATIONS = {"$schema", "description", "markdownDescription", "deprecated", "deprecationMessage", "default",
               "defaultSnippets", "examples", "enumDescriptions", "format", "allowComments",
               "allowTrailingCommas", "definitions", "title"}
KEYWORDS = {"$ref", "type", "enum", "pattern", "minimum", "maximum", "properties", "patternProperties",
            "additionalProperties", "required", "items", "allOf", "anyOf", "oneOf", "unevaluatedProperties"}
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


class SchemaError(Exception):
    """The schema uses something this validator does not read."""


def _is(value, name):
    if name in ("integer", "number"):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return ok and (name == "number" or float(value).is_integer())
    if name not in TYPES:
        raise SchemaError("unknown type %r" % name)
    return isinstance(value, TYPES[name])


def _resolve(ref, root):
    if not ref.startswith("#/"):
        raise SchemaError("only references into the same document: %r" % ref)
    node = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def validate(value, schema, root=None, where="$"):
    """Errors (a list of one-line strings, empty when valid) and the names of
    the object's properties the schema evaluated (for unevaluatedProperties)."""
    root = schema if root is None else root
    if schema is True or schema == {}:
        return [], set()
    if schema is False:
        return ["%s: not allowed here" % where], set()
    unknown = set(schema) - KEYWORDS - ANNOTATIONS
    if unknown:
        raise SchemaError("%s: keywords this validator does not read: %s" % (where, sorted(unknown)))
    errors, seen = _simple(value, schema, where), set()
    for sub in [_resolve(schema["$ref"], root)] if "$ref" in schema else []:
        errs, names = validate(value, sub, root, where)
        errors += errs
        seen |= names
    errs, names = _combinators(value, schema, root, where)
    errors += errs
    seen |= names
    if isinstance(value, dict):
        errs, names = _object(value, schema, root, where, seen)
        errors += errs
        seen |= names
    if isinstance(value, list) and "items" in schema:
        items = schema["items"]
        for i, item in enumerate(value):
            sub = items[i] if isinstance(items, list) and i < len(items) else items
            if not isinstance(sub, list):
                errors += validate(item, sub, root, "%s[%d]" % (where, i))[0]
    return errors, seen


def _simple(value, schema, where):
    errors = []
    types = schema.get("type")
    if types is not None and not any(_is(value, t) for t in ([types] if isinstance(types, str) else types)):
        errors.append("%s: should be of type %s" % (where, types))
    if "enum" in schema and value not in schema["enum"]:
        errors.append("%s: should be one of %s" % (where, schema["enum"]))
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        errors.append("%s: %r does not match %s" % (where, value, schema["pattern"]))
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if number and "minimum" in schema and value < schema["minimum"]:
        errors.append("%s: less than %s" % (where, schema["minimum"]))
    if number and "maximum" in schema and value > schema["maximum"]:
        errors.append("%s: more than %s" % (where, schema["maximum"]))
    return errors


def _combinators(value, schema, root, where):
    errors, seen = [], set()
    for sub in schema.get("allOf", []):
        errs, names = validate(value, sub, root, where)
        errors += errs
        seen |= names
    for key in ("anyOf", "oneOf"):
        if key not in schema:
            continue
        results = [validate(value, sub, root, where) for sub in schema[key]]
        good = [names for errs, names in results if not errs]
        if not good or (key == "oneOf" and len(good) > 1):
            why = "none" if not good else "%d" % len(good)
            errors.append("%s: %s of the %s alternatives match (%s)" % (
                where, why, key, "; ".join(e[0] for e, _ in results if e) or "all match"))
        for names in good:
            seen |= names
    return errors, seen


def _object(value, schema, root, where, seen_inplace):
    errors, seen = [], set()
    props, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    for name in schema.get("required", []):
        if name not in value:
            errors.append("%s: %r is required" % (where, name))
    for name, item in value.items():
        here = "%s.%s" % (where, name)
        matched = [props[name]] if name in props else []
        matched += [sub for pat, sub in patterns.items() if re.search(pat, name)]
        if not matched and "additionalProperties" in schema:
            matched = [schema["additionalProperties"]]
        elif not matched and "unevaluatedProperties" in schema and name not in seen_inplace:
            matched = [schema["unevaluatedProperties"]]
        elif not matched:
            continue
        for sub in matched:
            errors += validate(item, sub, root, here)[0]
        seen.add(name)
    return errors, seen
