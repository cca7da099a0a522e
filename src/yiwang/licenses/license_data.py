"""What a license type says about its data: the JSON Schema of its fields, the display hints
of its face, and the check of one license's data against them.

Every field needs a Chinese title: the face of the license, the wallet and the verification
page show titles, never keys. Data is refused whole with every fault named at once, because a
signed license cannot be corrected afterwards without a new version.
"""

from __future__ import annotations

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from yiwang.cases.form_data import REASONS
from yiwang.core.errors import DomainError, FieldError

HINT_KEYS = {"title", "order", "personal"}


def schema_problems(schema: object) -> list[str]:
    """Why `schema` cannot describe license data (empty when it can)."""
    if not isinstance(schema, dict):
        return ["证照数据项须是 JSON 对象"]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        return [f"证照数据项不是有效的 JSON Schema：{error.message}"]
    fields = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(fields, dict) or not fields:
        return ["证照数据项须是含字段（properties）的对象"]
    untitled = sorted(name for name, spec in fields.items() if not spec.get("title"))
    return [f"证照数据项须有中文标题（title）：{'、'.join(untitled)}"] if untitled else []


def hints_problems(hints: object, schema: dict) -> list[str]:
    """Why the display hints do not fit a well-formed schema: {"title": "…", "order": [field…],
    "personal": [field…]} (fields naming a person, masked where the public verifies)."""
    if not isinstance(hints, dict):
        return ["版式提示须是 JSON 对象"]
    problems = [f"版式提示不认识的键：{key}" for key in sorted(set(hints) - HINT_KEYS)]
    if not isinstance(hints.get("title", ""), str):
        problems.append("版式提示的 title 须是文字")
    known = set(schema.get("properties") or {})
    for key in ("order", "personal"):
        names = hints.get(key, [])
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            problems.append(f"版式提示的 {key} 须是字段名的列表")
        elif unknown := sorted(set(names) - known):
            problems.append(f"版式提示的 {key} 引用了不存在的字段：{'、'.join(unknown)}")
    return problems


def field_title(schema: dict, name: str) -> str:
    return (schema.get("properties") or {}).get(name, {}).get("title", name)


def validate_data(schema: dict, data: object, *, field: str = "data") -> dict:
    """`data` when it fits the schema; otherwise a DomainError naming every faulty field."""
    if not isinstance(data, dict):
        raise DomainError.of(field, "证照数据须是 JSON 对象")
    known = schema.get("properties") or {}
    errors = [
        FieldError(f"{field}.{name}", f"“{name}”不是该类证照的数据项")
        for name in sorted(set(data) - set(known))
    ]
    # Unknown fields are named above, once each, whatever the schema says of them.
    open_schema = {**schema, "additionalProperties": True}
    for error in Draft202012Validator(open_schema).iter_errors(data):
        name = _field_of(error)
        reason = REASONS.get(error.validator, "格式不正确").format(limit=error.validator_value)
        errors.append(FieldError(f"{field}.{name}", f"{field_title(schema, name)}：{reason}"))
    if errors:
        raise DomainError(errors)
    return data


def _field_of(error) -> str:
    if error.validator == "required":
        return error.message.split("'")[1]  # "'name' is a required property"
    return str(error.absolute_path[0]) if error.absolute_path else ""
