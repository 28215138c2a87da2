import pytest

from unrepeat import Reason, Removal, apply_removals, clean
from unrepeat.report import SCHEMA


def test_report_record_has_schema_counts_and_removals():
    text = "A long first sentence that is repeated right here. A second one follows it.\n" * 2
    r = clean(text)
    rec = r.report("doc-1", {"keep": "best"})
    assert rec["schema"] == SCHEMA
    assert rec["id"] == "doc-1"
    assert rec["counts"]["removals"] == len(r.removals) == 1
    assert rec["counts"]["by_reason"] == {"stuttered_line": 1}
    assert rec["config"] == {"keep": "best"}
    removal = rec["removals"][0]
    assert set(removal) >= {"reason", "start", "end", "input_start", "input_end", "text", "kept_start", "kept_end"}
    assert Removal.from_dict(removal) == r.removals[0]


def test_apply_removals_checks_every_span():
    text = "abc\nabc\n"
    good = Removal(Reason.STUTTERED_LINE, 4, 8, 4, 8, "abc\n", 0, 3)
    assert apply_removals(text, [good]) == "abc\n"
    with pytest.raises(ValueError, match="does not hold the recorded text"):
        apply_removals(text, [Removal(Reason.STUTTERED_LINE, 4, 8, 4, 8, "xyz\n", 0, 3)])
    with pytest.raises(ValueError, match="outside the text"):
        apply_removals(text, [Removal(Reason.STUTTERED_LINE, 4, 99, 4, 8, "abc\n", 0, 3)])
    with pytest.raises(ValueError, match="overlaps"):
        apply_removals(text, [good, Removal(Reason.STUTTERED_LINE, 5, 6, 5, 6, "b", 0, 3)])
