"""Machine-readable renderings of the access and portability packages: JSON, and CSV in a ZIP.

Pure: a package in, bytes out; the same package gives the same bytes. The JSON layout is
documented field by field in docs/access-package.md and as a JSON Schema in
docs/access-package.schema.json; the CSV archive holds one file per table with the same columns
and a README.txt in the package's language explaining every column and code.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from app.exports.bundle import (
    AccessBundle,
    CodeList,
    Column,
    ColumnType,
    Controller,
    DataTable,
    PortabilityBundle,
)

README = "README.txt"


# --- values ---------------------------------------------------------------------------------------


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def json_value(column: Column, value: Any) -> Any:
    """A value as the JSON files write it: ISO dates and UTC times, amounts as exact strings."""
    if value is None:
        return None
    if column.type is ColumnType.DATETIME:
        return _timestamp(value)
    if column.type is ColumnType.DATE:
        return value.isoformat()
    if column.type is ColumnType.DECIMAL:
        return f"{Decimal(value):.2f}"
    if column.type is ColumnType.INTEGER:
        return int(value)
    if column.type is ColumnType.BOOLEAN:
        return bool(value)
    return str(value)


def csv_value(column: Column, value: Any) -> str:
    """A value as the CSV files write it: like JSON, booleans as true/false, nothing as ''."""
    converted = json_value(column, value)
    if converted is None:
        return ""
    if isinstance(converted, bool):
        return "true" if converted else "false"
    return str(converted)


def _rows(table: DataTable) -> list[dict[str, Any]]:
    columns = table.columns
    return [
        {column.key: json_value(column, getattr(row, column.key)) for column in columns}
        for row in table.rows
    ]


def _table_meta(table: DataTable) -> dict[str, Any]:
    return {
        "title": table.title,
        "description": table.description,
        "layer": table.layer,
        "part": table.part,
        "included": table.included,
        "columns": [
            {
                "key": column.key,
                "label": column.label,
                "description": column.description,
                "type": column.type.value,
                "codes": column.codes,
            }
            for column in table.columns
        ],
    }


def _codes(codes: Iterable[CodeList]) -> dict[str, Any]:
    return {
        code_list.key: {"title": code_list.title, "codes": dict(code_list.codes)}
        for code_list in codes
    }


def _controller(bundle: AccessBundle | PortabilityBundle) -> dict[str, Any]:
    c = bundle.controller
    return {
        "name": c.name,
        "org_number": c.org_number,
        "street": c.street,
        "postal_code": c.postal_code,
        "city": c.city,
        "country": c.country,
        "email": c.email,
        "dpo_email": c.dpo_email,
        "phone": c.phone,
        "website": c.website,
    }


def _dump(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _header(bundle: AccessBundle | PortabilityBundle) -> dict[str, Any]:
    """The keys both packages start with: what, when, for whom and from whom."""
    return {
        "schema": bundle.schema,
        "generated_at": _timestamp(bundle.generated_at),
        "reference": bundle.reference,
        "language": bundle.language,
        "subject": {"email": bundle.email},
        "controller": _controller(bundle),
    }


# --- access (Art. 15) -----------------------------------------------------------------------------


def access_document(bundle: AccessBundle) -> dict[str, Any]:
    """The access package as the JSON object described in docs/access-package.md."""
    info = bundle.information
    return {
        **_header(bundle),
        "scope": {"parts": list(bundle.parts), "complete": not bundle.parts},
        "layers": [
            {
                "number": layer.number,
                "title": layer.title,
                "description": layer.description,
                "tables": list(layer.tables),
            }
            for layer in bundle.layers
        ],
        "information": {
            "confirmation": {"processed": info.processed, "text": info.confirmation},
            "purposes": [
                {
                    "code": p.code,
                    "name": p.name,
                    "description": p.description,
                    "legal_basis": p.legal_basis,
                    "legal_basis_text": p.legal_basis_text,
                    "legitimate_interest": p.legitimate_interest,
                    "categories": list(p.categories),
                }
                for p in info.purposes
            ],
            "categories": [
                {
                    "code": c.code,
                    "name": c.name,
                    "description": c.description,
                    "retention_months": c.retention_months,
                    "retention_from": c.retention_from,
                    "retention_text": c.retention_text,
                    "legal_reference": c.legal_reference,
                    "tables": list(c.tables),
                    "purposes": list(c.purposes),
                }
                for c in info.categories
            ],
            "recipients": {
                "text": info.recipients_text,
                "named": [_recipient(r) for r in info.recipients],
                "authorities": [_recipient(r) for r in info.authorities],
            },
            "transfers": {
                "text": info.transfers_text,
                "items": [
                    {
                        "recipient": t.recipient,
                        "country": t.country,
                        "country_name": t.country_name,
                        "safeguard": t.safeguard,
                    }
                    for t in info.transfers
                ],
            },
            "sources": {
                "text": info.sources_text,
                "items": [
                    {"record_id": s.record_id, "kind": s.kind, "source": s.source}
                    for s in info.sources
                ],
            },
            "automated_decisions": {"exists": False, "text": info.automated_decisions},
            "rights": {
                "text": info.rights_text,
                "items": [
                    {
                        "code": r.code,
                        "article": r.article,
                        "name": r.name,
                        "description": r.description,
                    }
                    for r in info.rights
                ],
                "objection": info.objection,
            },
            "complaint": {
                "authority": info.complaint.authority,
                "short_name": info.complaint.short_name,
                "postal_address": info.complaint.postal_address,
                "url": info.complaint.url,
                "text": info.complaint.text,
                "courts": info.complaint.courts,
            },
        },
        "tables": {table.key: _table_meta(table) for table in bundle.tables},
        "data": {table.key: _rows(table) if table.included else None for table in bundle.tables},
        "codes": _codes(bundle.codes),
    }


def _recipient(recipient: Any) -> dict[str, Any]:
    return {
        "id": recipient.id,
        "name": recipient.name,
        "kind": recipient.kind,
        "kind_text": recipient.kind_text,
        "service": recipient.service,
        "country": recipient.country,
        "country_name": recipient.country_name,
        "third_country": recipient.third_country,
        "safeguard": recipient.safeguard,
        "deliveries": [
            {
                "assignment_id": d.assignment_id,
                "customer": d.customer,
                "campaign": d.campaign,
                "delivered_at": _timestamp(d.delivered_at) if d.delivered_at else None,
            }
            for d in recipient.deliveries
        ],
    }


def render_access_json(bundle: AccessBundle) -> bytes:
    """The access package as UTF-8 JSON (schema ``access-package/1``)."""
    return _dump(access_document(bundle))


def render_access_csv(bundle: AccessBundle) -> bytes:
    """A ZIP of one UTF-8 CSV per table asked for, and README.txt explaining columns and codes."""
    files = {f"{t.key}.csv": _csv(t) for t in bundle.tables if t.included}
    files[README] = _access_readme(bundle).encode("utf-8")
    return _zip(files, bundle.generated_at)


# --- portability (Art. 20) ------------------------------------------------------------------------


def portability_document(bundle: PortabilityBundle) -> dict[str, Any]:
    """The portability package as the JSON object described in docs/access-package.md."""
    return {
        **_header(bundle),
        "information": {
            "intro": bundle.texts.intro,
            "scope": bundle.texts.scope,
            "other_rights": bundle.texts.other_rights,
            "complaint": bundle.texts.complaint,
            "courts": bundle.texts.courts,
        },
        "tables": {table.key: _table_meta(table) for table in bundle.tables},
        "data": {table.key: _rows(table) for table in bundle.tables},
        "excluded": [
            {
                "category": e.category,
                "name": e.name,
                "tables": list(e.tables),
                "entries": e.entries,
                "legal_bases": list(e.legal_bases),
                "reason": e.reason,
            }
            for e in bundle.excluded
        ],
        "codes": _codes(bundle.codes),
    }


def render_portability_json(bundle: PortabilityBundle) -> bytes:
    """The portability package as UTF-8 JSON (schema ``portability-package/1``)."""
    return _dump(portability_document(bundle))


def render_portability_csv(bundle: PortabilityBundle) -> bytes:
    """A ZIP of one UTF-8 CSV per table and README.txt (with what is left out, and why)."""
    files = {f"{t.key}.csv": _csv(t) for t in bundle.tables}
    files[README] = _portability_readme(bundle).encode("utf-8")
    return _zip(files, bundle.generated_at)


# --- CSV and README -------------------------------------------------------------------------------


def _csv(table: DataTable) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = table.columns
    writer.writerow([column.key for column in columns])
    for row in table.rows:
        writer.writerow([csv_value(column, getattr(row, column.key)) for column in columns])
    return buffer.getvalue().encode("utf-8-sig")


def _zip(files: dict[str, bytes], moment: datetime) -> bytes:
    stamp = moment.astimezone(UTC).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files, key=lambda n: (n != README, n)):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def _heading(text: str, underline: str = "=") -> list[str]:
    return ["", text, underline * len(text)]


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, width=78, initial_indent=indent, subsequent_indent=indent) or [""]


def _columns_and_codes(
    tables: Iterable[DataTable], codes: tuple[CodeList, ...], texts: Any, not_requested: str
) -> list[str]:
    lines = _heading(texts.files)
    lines += _wrap(texts.csv_format)
    used: list[str] = []
    for table in tables:
        lines += _heading(f"{table.key}.csv: {table.title}", "-")
        lines += _wrap(table.description)
        if not table.included:
            lines += _wrap(not_requested)
            continue
        lines.append(f"{texts.columns}:")
        for column in table.columns:
            lines += _wrap(f"{column.key} ({column.label}): {column.description}", "  ")
            if column.codes and column.codes not in used:
                used.append(column.codes)
    lines += _heading(texts.codes)
    for code_list in codes:
        if code_list.key not in used:
            continue
        lines.append("")
        lines.append(f"{code_list.title}:")
        for code, meaning in code_list.codes:
            lines += _wrap(f"{code} = {meaning}", "  ")
    return lines


def _contact(c: Controller) -> str:
    return f"{c.name}, {c.org_number}, {c.address}, {c.dpo_email or c.email}"


def _access_readme(bundle: AccessBundle) -> str:
    t = bundle.texts
    info = bundle.information
    c = bundle.controller
    lines = [t.title, "=" * len(t.title), t.subtitle, ""]
    lines += [
        f"{t.reference}: {bundle.reference}",
        f"{t.generated}: {t.generated_value}",
        f"{t.concerning}: {bundle.email}",
        f"{t.controller}: {_contact(c)}",
        f"{t.scope}: {t.scope_value}",
    ]
    lines += _heading(t.confirmation)
    lines += _wrap(info.confirmation)
    lines += _heading(t.layers)
    lines += _wrap(t.layers_intro)
    for layer in bundle.layers:
        lines.append("")
        lines += _wrap(f"{layer.title}: {layer.description}")
        lines += _wrap(", ".join(f"{key}.csv" for key in layer.tables), "  ")
    lines += _heading(t.purposes)
    for p in info.purposes:
        lines.append("")
        lines += _wrap(f"{p.name} ({p.code})")
        lines += _wrap(p.description, "  ")
        lines += _wrap(f"{t.legal_basis}: {p.legal_basis_text}", "  ")
        if p.legitimate_interest:
            lines += _wrap(f"{t.legitimate_interest}: {p.legitimate_interest}", "  ")
    lines += _heading(t.categories)
    for category in info.categories:
        lines.append("")
        lines += _wrap(f"{category.name} ({category.code})")
        lines += _wrap(f"{t.retention}: {category.retention_text}", "  ")
        if category.legal_reference:
            lines += _wrap(f"{t.legal_reference}: {category.legal_reference}", "  ")
        if category.description:
            lines += _wrap(category.description, "  ")
    lines += _heading(t.recipients)
    lines += _wrap(info.recipients_text)
    for r in info.recipients:
        lines.append("")
        lines += _wrap(f"{r.name} ({r.country_name}): {r.service}")
        lines += _wrap(r.kind_text, "  ")
        for d in r.deliveries:
            when = _timestamp(d.delivered_at) if d.delivered_at else t.not_delivered
            lines += _wrap(f"{d.customer}, {d.campaign}: {when}", "  ")
    for r in info.authorities:
        lines.append("")
        lines += _wrap(f"{t.authorities}: {r.service}")
    lines += _heading(t.transfers)
    lines += _wrap(info.transfers_text)
    for transfer in info.transfers:
        lines.append("")
        lines += _wrap(f"{transfer.recipient} ({transfer.country_name})")
        lines += _wrap(transfer.safeguard, "  ")
    lines += _heading(t.sources)
    lines += _wrap(info.sources_text)
    for source in info.sources:
        lines += _wrap(f"{t.record} {source.record_id}: {source.source}", "  ")
    lines += _heading(t.automated)
    lines += _wrap(info.automated_decisions)
    lines += _heading(t.rights)
    for right in info.rights:
        lines += _wrap(f"{right.name} ({right.article}): {right.description}", "  ")
    lines.append("")
    lines += _wrap(info.objection)
    lines += _wrap(info.rights_text)
    lines += _heading(t.complaint)
    lines += _wrap(info.complaint.text)
    lines += _wrap(info.complaint.courts)
    lines += _columns_and_codes(bundle.tables, bundle.codes, t, t.not_requested)
    return "\n".join(lines) + "\n"


def _portability_readme(bundle: PortabilityBundle) -> str:
    t = bundle.texts
    c = bundle.controller
    lines = [t.title, "=" * len(t.title), ""]
    lines += _wrap(t.intro)
    lines += ["", f"{bundle.reference} · {_timestamp(bundle.generated_at)} · {bundle.email}"]
    lines += [_contact(c), ""]
    lines += _wrap(t.scope)
    if not any(table.rows for table in bundle.tables):
        lines.append("")
        lines += _wrap(t.none_held)
    lines += _heading(t.excluded)
    for exclusion in bundle.excluded:
        lines.append("")
        lines += _wrap(f"{exclusion.name} ({exclusion.category}): {exclusion.entries}")
        lines += _wrap(exclusion.reason, "  ")
    lines.append("")
    lines += _wrap(t.other_rights)
    lines.append("")
    lines += _wrap(t.complaint)
    lines += _wrap(t.courts)
    lines += _columns_and_codes(bundle.tables, bundle.codes, t, "")
    return "\n".join(lines) + "\n"


__all__ = [
    "access_document",
    "csv_value",
    "json_value",
    "portability_document",
    "render_access_csv",
    "render_access_json",
    "render_portability_csv",
    "render_portability_json",
]
