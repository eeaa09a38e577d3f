"""cli.chunks: a CSV cut into chunks whose rows keep their number in the file."""

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cli import chunks

HEADER = "serial_number,model_code\n"


def rows_of(chunk: chunks.Chunk) -> list[list[str]]:
    return list(csv.reader(io.StringIO(chunk.body.decode())))


def test_every_chunk_has_the_header_and_its_rows_numbers():
    text = HEADER + "A-1,M\nA-2,M\n\nA-3,M\nA-4,M\nA-5,M\n"
    prepared = chunks.prepare(text, 2)
    assert [rows_of(c) for c in prepared.chunks] == [
        [["serial_number", "model_code"], ["A-1", "M"], ["A-2", "M"]],
        [["serial_number", "model_code"], ["A-3", "M"], ["A-4", "M"]],
        [["serial_number", "model_code"], ["A-5", "M"]],
    ]
    assert [c.rows for c in prepared.chunks] == [[1, 2], [3, 4], [5]]  # the blank line is no row
    assert prepared.total_rows == 5 and prepared.local_errors == []


def test_a_serial_seen_earlier_in_the_file_is_a_duplicate_and_not_sent():
    prepared = chunks.prepare("\ufeff" + HEADER + "A-1,M\nA-2,M\n a-1 ,M\nA-3,M\n", 2)
    assert prepared.local_errors == [
        chunks.RowError(3, "A-1", "duplicate_in_file", "serial number A-1 is already on row 1")]
    assert [c.rows for c in prepared.chunks] == [[1, 2], [4]]


@pytest.mark.parametrize("text", ["", HEADER, "colour\nred\n"])
def test_a_file_without_units_is_still_one_request_for_the_platform_to_judge(text):
    prepared = chunks.prepare(text, 10)
    assert len(prepared.chunks) == 1


def test_bad_rows_are_written_as_they_were_with_their_reasons():
    prepared = chunks.prepare(HEADER + "A-1,M\n\"B,2\",M\n", 5)
    errors = [chunks.RowError(2, "B,2", "invalid_serial", "bad"), chunks.RowError(2, "B,2", "x", "y")]
    assert list(chunks.bad_rows_csv(prepared, errors)) == [
        ["row", "serial_number", "model_code", "error_code", "error_message"],
        ["2", "B,2", "M", "invalid_serial; x", "bad; y"],
    ]


@given(serials=st.lists(st.sampled_from(["A-1", "A-2", "A-3", "B-1", "B-2", "C-9"]), max_size=40),
       size=st.integers(min_value=1, max_value=7))
def test_each_row_is_sent_once_or_reported_once_under_its_own_number(serials, size):
    text = HEADER + "".join(f"{s},M\n" for s in serials)
    prepared = chunks.prepare(text, size)
    sent = [n for c in prepared.chunks for n in c.rows]
    reported = [e.row for e in prepared.local_errors]
    assert sorted(sent + reported) == list(range(1, len(serials) + 1))
    for chunk in prepared.chunks:
        assert len(chunk.rows) <= size
        assert [r[0] for r in rows_of(chunk)[1:]] == [serials[n - 1] for n in chunk.rows]


def test_a_corrected_bad_rows_file_imports_as_it_is():
    prepared = chunks.prepare("row,serial_number,model_code,error_code,error_message\n"
                              "2,A-2,M,invalid_date,bad day\n", 10)
    assert rows_of(prepared.chunks[0]) == [["serial_number", "model_code"], ["A-2", "M"]]
    assert list(chunks.bad_rows_csv(prepared, [chunks.RowError(1, "A-2", "x", "y")]))[1] == ["1", "A-2", "M", "x", "y"]
