import pytest

from opsroom.core.errors import InvalidInput
from opsroom.core.jsonshape import json_bounded, json_parse, json_shape_problem
from opsroom.core.spreadsheet import spreadsheet_cell


def deep(levels):
    value = []
    for _ in range(levels - 1):
        value = [value]
    return value


def test_shape_limits_are_checked_without_recursion():
    assert json_shape_problem(deep(20)) is None
    assert json_shape_problem(deep(21)) == ("0", "nests deeper than 20 levels")
    assert json_shape_problem(deep(100_000))[1] == "nests deeper than 20 levels"
    assert json_shape_problem({"k": list(range(10_001))}) == ("k", "holds more than 10,000 values")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 5000 + "]" * 5000, "is not valid JSON"),
        ("[" * 30 + "]" * 30, "nests deeper than 20 levels"),
        ("{nope", "is not valid JSON"),
    ],
)
def test_parsing_refuses_deep_and_broken_json_with_a_message(text, message):
    with pytest.raises(InvalidInput, match=message):
        json_parse(text, what="'conditions'")


def test_bounded_copies_can_always_be_printed():
    import json

    shown = json_bounded(deep(100_000)[0:1] and deep(900), depth=5)
    assert json.dumps(shown).count("[") == 5
    assert json_bounded({"t": "x" * 10_000})["t"].endswith("…")
    assert json_bounded(list(range(500)), items=3) == [0, 1, 2, "… 497 more"]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-12.50", "-12.50"),
        ("+33", "+33"),
        ("ann@example.com", "ann@example.com"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_spreadsheet_cells_never_start_a_formula(value, cell):
    assert spreadsheet_cell(value) == cell
