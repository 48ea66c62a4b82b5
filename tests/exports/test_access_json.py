"""The machine-readable packages: JSON valid against docs/access-package.schema.json, and CSV.

jsonschema is not among the project's dependencies, so a small validator below reads the
documented schema (it refuses any keyword it does not implement, so the schema cannot use one
unnoticed); the documented keys and types are also asserted directly.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from app.core.authority import IMY
from app.exports.json_export import (
    render_access_csv,
    render_access_json,
    render_portability_csv,
    render_portability_json,
)
from app.services import demo
from tests.exports.test_access_bundle import (
    HOSTILE,
    LOOKALIKES,
    TARGET,
    World,
    access,
    build_world,
    portability,
)

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "access-package.schema.json").read_text()
)
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# The CSV files and their columns, as docs/access-package.md documents them.
ACCESS_COLUMNS = {
    "records": "id,email,name,phone,job_title,company_id,company,kind,source,created_at,"
    "updated_at,restricted_at,restriction_ground,marketing_objection_at",
    "companies": "id,name,org_number,city,website,is_customer",
    "assignments": "id,record_id,customer_id,customer,campaign,started_on,ended_on,recipient_id,"
    "recipient,delivered_at",
    "meetings": "id,record_id,assignment_id,customer,starts_at,duration_minutes,status,location,"
    "notes",
    "consents": "id,record_id,purpose,purpose_name,given_at,withdrawn_at,evidence,"
    "wants_policy_notices",
    "accounting_records": "id,record_id,company_id,company,document_number,document_date,"
    "description,amount_sek,reference_name",
    "requests": "id,reference,type,status,received_at,due_on,closed_at",
    "suppression": "id,reason,created_at",
    "communications": "id,record_id,assignment_id,customer,occurred_at,channel,direction,subject,"
    "body",
    "technical_records": "id,record_id,occurred_at,event,ip_address,user_agent",
}
PORTABILITY_COLUMNS = {
    "contact_details": "id,name,email,phone,job_title,company",
    "consents": ACCESS_COLUMNS["consents"],
    "messages": "id,occurred_at,channel,subject,body",
}


# --- a validator for the subset of JSON Schema 2020-12 the documented schema uses -----------------

KEYWORDS = {
    "$schema", "$id", "$defs", "$ref", "title", "description", "oneOf", "type", "required",
    "properties", "additionalProperties", "items", "enum", "const", "pattern", "format",
}  # fmt: skip
TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _keywords(schema: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            found.add(key)
            if key in ("properties", "$defs"):
                for sub in value.values():
                    found |= _keywords(sub)
            elif key in ("items", "additionalProperties") and isinstance(value, dict):
                found |= _keywords(value)
            elif key == "oneOf":
                for sub in value:
                    found |= _keywords(sub)
    return found


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def errors(instance: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    if "$ref" in schema:
        target: Any = SCHEMA
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return errors(instance, target, path)
    found: list[str] = []
    if "oneOf" in schema:
        matching = [s for s in schema["oneOf"] if not errors(instance, s, path)]
        if len(matching) != 1:
            found.append(f"{path}: matches {len(matching)} of oneOf")
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[kind](instance) for kind in kinds):
            return [f"{path}: {instance!r:.60} is not {kinds}"]
    if "const" in schema and not _same(instance, schema["const"]):
        found.append(f"{path}: {instance!r} is not {schema['const']!r}")
    if "enum" in schema and not any(_same(instance, value) for value in schema["enum"]):
        found.append(f"{path}: {instance!r} not in {schema['enum']}")
    pattern = schema.get("pattern")
    if pattern and isinstance(instance, str) and not re.search(pattern, instance):
        found.append(f"{path}: {instance!r} does not match {schema['pattern']}")
    if isinstance(instance, dict):
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in instance:
                found.append(f"{path}: {key} is missing")
        extra = schema.get("additionalProperties", True)
        for key, value in instance.items():
            if key in properties:
                found += errors(value, properties[key], f"{path}.{key}")
            elif extra is False:
                found.append(f"{path}: {key} is not documented")
            elif isinstance(extra, dict):
                found += errors(value, extra, f"{path}.{key}")
    if isinstance(instance, list) and "items" in schema:
        for index, value in enumerate(instance):
            found += errors(value, schema["items"], f"{path}[{index}]")
    return found


def test_the_validator_understands_every_keyword_of_the_schema() -> None:
    assert _keywords(SCHEMA) <= KEYWORDS
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_validator_finds_what_is_wrong() -> None:
    good = {"id": 1, "reason": "erasure", "created_at": "2026-11-24T09:00:00Z"}
    schema = {"$ref": "#/$defs/suppression"}
    assert errors(good, schema) == []
    assert errors({**good, "id": "1"}, schema)
    assert errors({**good, "created_at": "2026-11-24 09:00"}, schema)
    assert errors({**good, "extra": 1}, schema)
    assert errors({"id": 1, "reason": "erasure"}, schema)


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def world(app: Flask, session: Session) -> World:
    return build_world(session)


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def table(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte order mark
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text, newline="")))


# --- JSON -----------------------------------------------------------------------------------------


class TestAccessJson:
    @pytest.mark.parametrize("language", ["sv", "en"])
    @pytest.mark.parametrize("parts", [None, ["communication", "consents"]])
    def test_valid_against_the_documented_schema(
        self, session: Session, world: World, language: str, parts: list[str] | None
    ) -> None:
        document = json.loads(render_access_json(access(session, language, parts)))
        assert errors(document, SCHEMA) == []

    def test_header_fields_and_data_as_documented(self, session: Session, world: World) -> None:
        bundle = access(session, "sv")
        document = json.loads(render_access_json(bundle))

        assert document["schema"] == "access-package/1"
        assert document["generated_at"] == "2026-11-24T09:00:00Z"
        assert document["reference"] == bundle.reference
        assert document["language"] == "sv"
        assert document["subject"] == {"email": TARGET}
        assert document["controller"]["name"] == bundle.controller.name
        assert document["scope"] == {"parts": [], "complete": True}
        assert [layer["number"] for layer in document["layers"]] == [1, 2]
        assert set(document["data"]) == set(ACCESS_COLUMNS)
        for key, columns in ACCESS_COLUMNS.items():
            rows = document["data"][key]
            assert [row["id"] for row in rows] == [row.id for row in bundle.table(key).rows]
            assert all(isinstance(row["id"], int) for row in rows)
            for row in rows:
                assert ",".join(row) == columns
            meta = document["tables"][key]
            assert [column["key"] for column in meta["columns"]] == columns.split(",")

    def test_times_dates_and_amounts_are_iso_and_exact(
        self, session: Session, world: World
    ) -> None:
        document = json.loads(render_access_json(access(session, "en")))
        for row in document["data"]["communications"]:
            assert TIME.match(row["occurred_at"])
        for row in document["data"]["assignments"]:
            assert DAY.match(row["started_on"])
            assert row["ended_on"] is None
        karin = json.loads(render_access_json(access(session, "en", email=demo.KARIN)))
        amounts = [row["amount_sek"] for row in karin["data"]["accounting_records"]]
        assert amounts
        assert all(re.fullmatch(r"\d+\.\d\d", amount) for amount in amounts)

    def test_every_code_in_the_data_is_explained(self, session: Session, world: World) -> None:
        document = json.loads(render_access_json(access(session, "sv")))
        for key, meta in document["tables"].items():
            for column in meta["columns"]:
                if column["codes"] is None:
                    continue
                explained = document["codes"][column["codes"]]["codes"]
                for row in document["data"][key] or []:
                    if row[column["key"]] is not None:
                        assert row[column["key"]] in explained, (key, column["key"])
        assert document["codes"]["legal_basis"]["codes"]["6.1.f"].startswith("Berättigat")

    def test_information_is_there_in_the_language(self, session: Session, world: World) -> None:
        info = json.loads(render_access_json(access(session, "en")))["information"]
        assert info["confirmation"]["processed"] is True
        assert info["automated_decisions"]["exists"] is False
        assert info["complaint"]["url"] == IMY.complaint_url("en")
        assert world.delivered_recipient in [r["name"] for r in info["recipients"]["named"]]
        assert world.only_lookalike_recipient not in json.dumps(info)
        purposes = {p["code"]: p for p in info["purposes"]}
        assert purposes["lead_generation"]["legitimate_interest"]
        assert purposes["direct_marketing"]["legal_basis"] == "6.1.a"

    def test_parts_not_asked_for_are_null(self, session: Session, world: World) -> None:
        document = json.loads(render_access_json(access(session, "en", ["meetings"])))
        assert document["scope"] == {"parts": ["meetings"], "complete": False}
        assert document["data"]["communications"] is None
        assert document["data"]["records"] is None
        assert len(document["data"]["meetings"]) == 2
        assert document["data"]["requests"] is not None

    def test_text_is_kept_exactly_and_nothing_of_others(
        self, session: Session, world: World
    ) -> None:
        raw = render_access_json(access(session, "sv"))
        document = json.loads(raw)
        assert HOSTILE in [row["body"] for row in document["data"]["communications"]]
        assert "Köpt lista från Bisnode".encode() in raw  # UTF-8, not \\u escapes
        for lookalike in LOOKALIKES:
            assert lookalike.encode() not in raw

    def test_nothing_held(self, session: Session, world: World) -> None:
        document = json.loads(render_access_json(access(session, "en", email="x@example.com")))
        assert errors(document, SCHEMA) == []
        assert document["information"]["confirmation"]["processed"] is False
        assert all(rows == [] for rows in document["data"].values())


class TestPortabilityJson:
    def test_valid_and_explains_what_is_left_out(self, session: Session, world: World) -> None:
        document = json.loads(render_portability_json(portability(session, TARGET, "en")))

        assert errors(document, SCHEMA) == []
        assert document["schema"] == "portability-package/1"
        assert document["data"]["contact_details"] == []
        assert len(document["data"]["consents"]) == 2
        reasons = {e["category"]: e for e in document["excluded"]}
        assert "Art. 20(1)" in reasons["lead_contact"]["reason"]
        assert reasons["lead_contact"]["legal_bases"] == ["6.1.f"]

    def test_a_customer_contact_gets_her_contact_details(
        self, session: Session, world: World
    ) -> None:
        document = json.loads(render_portability_json(portability(session, demo.KARIN, "sv")))
        assert errors(document, SCHEMA) == []
        assert [row["email"] for row in document["data"]["contact_details"]] == [demo.KARIN]


# --- CSV ------------------------------------------------------------------------------------------


class TestAccessCsv:
    def test_one_file_per_table_with_the_documented_header_and_a_readme(
        self, session: Session, world: World
    ) -> None:
        bundle = access(session, "sv")
        files = unzip(render_access_csv(bundle))

        assert set(files) == {f"{key}.csv" for key in ACCESS_COLUMNS} | {"README.txt"}
        for key, columns in ACCESS_COLUMNS.items():
            text = files[f"{key}.csv"].decode("utf-8-sig")
            assert text.split("\r\n", 1)[0] == columns
            rows = table(files[f"{key}.csv"]) if bundle.table(key).rows else []
            assert [int(row["id"]) for row in rows] == [row.id for row in bundle.table(key).rows]

    def test_values_are_written_as_documented(self, session: Session, world: World) -> None:
        files = unzip(render_access_csv(access(session, "en")))
        communications = table(files["communications.csv"])
        assert all(TIME.match(row["occurred_at"]) for row in communications)
        assert HOSTILE in [row["body"] for row in communications]
        consents = table(files["consents.csv"])
        assert {row["wants_policy_notices"] for row in consents} == {"false"}
        assert {row["withdrawn_at"] for row in consents} == {""}
        assignments = table(files["assignments.csv"])
        assert all(DAY.match(row["started_on"]) for row in assignments)
        assert "" in {row["delivered_at"] for row in assignments}

    def test_the_readme_explains_files_columns_codes_and_the_information(
        self, session: Session, world: World
    ) -> None:
        bundle = access(session, "sv")
        readme = unzip(render_access_csv(bundle))["README.txt"].decode("utf-8")
        flat = " ".join(readme.split())

        for key in ACCESS_COLUMNS:
            assert f"{key}.csv" in readme
        for column in bundle.table("communications").columns:
            assert column.key in readme
        assert "outbound = " in readme  # each code used, with its meaning
        assert " ".join(bundle.information.confirmation.split()) in flat
        assert IMY.complaint_url("sv") in flat
        assert world.delivered_recipient in flat
        assert " ".join(bundle.texts.csv_format.split()) in flat

    def test_only_the_parts_asked_for(self, session: Session, world: World) -> None:
        files = unzip(render_access_csv(access(session, "en", ["technical"])))
        assert set(files) == {
            "technical_records.csv",
            "requests.csv",
            "suppression.csv",
            "README.txt",
        }

    def test_the_same_package_gives_the_same_bytes(self, session: Session, world: World) -> None:
        bundle = access(session, "sv")
        assert render_access_csv(bundle) == render_access_csv(bundle)
        assert render_access_json(bundle) == render_access_json(bundle)


class TestPortabilityCsv:
    def test_files_and_readme_with_the_reasons(self, session: Session, world: World) -> None:
        bundle = portability(session, demo.KARIN, "en")
        files = unzip(render_portability_csv(bundle))

        assert set(files) == {f"{key}.csv" for key in PORTABILITY_COLUMNS} | {"README.txt"}
        for key, columns in PORTABILITY_COLUMNS.items():
            assert files[f"{key}.csv"].decode("utf-8-sig").split("\r\n", 1)[0] == columns
        assert [row["email"] for row in table(files["contact_details.csv"])] == [demo.KARIN]
        readme = " ".join(files["README.txt"].decode("utf-8").split())
        for exclusion in bundle.excluded:
            assert " ".join(exclusion.reason.split()) in readme
        assert "Art. 20(1)" in readme
