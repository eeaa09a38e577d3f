"""The import's fast checks (services/warranty/importer.py) against the rules they stand in for.

A row the fast check accepts must be one UnitCreate accepts, with the same column values; any other
row goes to UnitCreate, whose words are reported. And the plain CSV reader splits a file exactly
as csv.DictReader did."""

import csv
import io
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.warranty import importer, units
from services.warranty.schemas import UnitCreate

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
PINS = {"policy_version": 1, "calendar_id": 1, "created_at": NOW}


def pydantic_values(body):
    """What the import made of a body before: None if UnitCreate refuses it."""
    try:
        unit_in = UnitCreate.model_validate(body)
    except ValidationError:
        return None
    return units.unit_values(unit_in, now=NOW, policy_version=1, calendar_id=1)


def fast_values(body):
    found = importer._fast_values(body, {})
    return None if found is None else {**found, **PINS}


GOOD = {"serial_number": " kfr-000001 ", "model_code": " KFR-72LW ", "product_name": "Cabinet AC ",
        "site": {"name": " Site A", "address": None, "region": " Harbin "}, "project_code": None,
        "accepted_on": "2024-03-01"}


@pytest.mark.parametrize("body", [
    GOOD,
    {**GOOD, "site": {"name": "Site A"}},
    {**GOOD, "certificate": {"number": "C-1"}},
    {**GOOD, "certificate": {"number": "C-1", "product_name": "Other", "model_code": "M", "serial_number": " abc "}},
    {**GOOD, "project_code": "", "site": {"name": "x", "address": "", "region": None}},
])
def test_a_valid_row_takes_the_fast_path_with_the_same_values(body):
    assert fast_values(body) is not None
    assert fast_values(body) == pydantic_values(body)


@pytest.mark.parametrize("body", [
    {**GOOD, "serial_number": "bad"}, {**GOOD, "serial_number": "X" * 101}, {**GOOD, "serial_number": None},
    {**GOOD, "model_code": ""}, {**GOOD, "model_code": "M" * 101}, {**GOOD, "product_name": None},
    {**GOOD, "product_name": "p" * 201}, {**GOOD, "site": {"name": ""}}, {**GOOD, "site": {"name": "s", "x": 1}},
    {**GOOD, "site": {"name": "s", "region": ""}}, {**GOOD, "site": {"name": "s", "address": "a" * 501}},
    {**GOOD, "site": None}, {**GOOD, "accepted_on": "2024-13-01"}, {**GOOD, "accepted_on": "2024-3-1"},
    {**GOOD, "accepted_on": "2024-03-01\n"}, {**GOOD, "accepted_on": None}, {**GOOD, "colour": "red"},
    {**GOOD, "certificate": {"number": ""}}, {**GOOD, "certificate": {"number": "C", "model_code": ""}},
    {**GOOD, "certificate": {}}, {**GOOD, "project_code": "p" * 101}, {**GOOD, "model_code": 7},
    "not an object",
])
def test_an_invalid_row_is_left_to_unitcreate(body):
    assert pydantic_values(body) is None
    assert fast_values(body) is None


texts = st.one_of(st.none(), st.integers(0, 3), st.text(max_size=3),
                  st.sampled_from(["", " ", "KFR-72LW", "x" * 40, "x" * 101, "x" * 201, "ab-123456", "C-1"]))
days = st.one_of(st.none(), st.sampled_from(["2024-03-01", "2024-02-30", "2024-3-01", "0001-01-01", "2024-03-01 "]),
                 st.text(max_size=10))
sites = st.one_of(st.none(), texts, st.fixed_dictionaries(
    {"name": texts}, optional={"address": texts, "region": texts, "other": texts}))
certificates = st.one_of(st.none(), texts, st.fixed_dictionaries(
    {}, optional={"number": texts, "product_name": texts, "model_code": texts, "serial_number": texts,
                  "other": texts}))
bodies = st.fixed_dictionaries({}, optional={
    "serial_number": texts, "model_code": texts, "product_name": texts, "site": sites, "project_code": texts,
    "accepted_on": days, "certificate": certificates, "colour": texts})


@settings(max_examples=400, deadline=None)
@given(bodies)
def test_the_fast_check_never_accepts_what_unitcreate_refuses_nor_changes_a_value(body):
    fast = fast_values(body)
    if fast is not None:
        assert fast == pydantic_values(body)


def dictreader_rows(text):
    """How the import read a CSV file before: csv.DictReader."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    reader.fieldnames = [h.strip() for h in reader.fieldnames or []]
    rows = []
    for record in reader:
        if None in record:
            rows.append({"__error__": ("invalid_row", "the row has more values than the header has columns")})
            continue
        rows.append(importer._unit_body(
            {k: (v.strip() or None) if isinstance(v, str) else v for k, v in record.items()}))
    return rows


@pytest.mark.parametrize("text", [
    "serial_number,model_code,product_name,site_name,accepted_on\nA-000001,M,P,S,2024-01-01\n",
    " accepted_on , site_name,product_name,model_code,serial_number,certificate_number\n"
    "2024-01-01, S ,P,M,A-000001,C-1\n\n\r\n2024-01-02,S,P,M,A-000002,\r\n",
    "serial_number,model_code,product_name,site_name,accepted_on,region\nA-000001,M\nA-000002,M,P,S,d,r,extra\n",
    'serial_number,model_code,product_name,site_name,accepted_on,site_address\nA-000001,M,"P, ""q""",S,d,"a\nb"\n',
    "serial_number,model_code,product_name,site_name,accepted_on\n,,,,\n   ,  ,,,\n",
    "serial_number,model_code,product_name,site_name,accepted_on",
])
def test_the_plain_csv_reader_splits_a_file_as_dictreader_did(text):
    assert importer._parse_csv_text(text) == dictreader_rows(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["", " x ", "A-000001", '"q,"', "2024-01-01", "\n"]), max_size=8),
                max_size=6))
def test_any_csv_rows_are_split_as_dictreader_did(lines):
    header = "serial_number,model_code,product_name,site_name,accepted_on,region\n"
    text = header + "".join(",".join(cells) + "\n" for cells in lines)
    try:
        expected = dictreader_rows(text)
    except csv.Error:
        with pytest.raises(csv.Error):
            importer._parse_csv_text(text)
        return
    assert importer._parse_csv_text(text) == expected
