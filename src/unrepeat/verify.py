"""Check that a report proves how a document became its output.

`check_report` takes the raw input of one document and its report record and
returns the output the report promises, after checking everything a report
claims:

- the input, normalized again with the report's config, has the recorded
  ``normalized_sha256``;
- every removal holds the recorded text at its span, and the spans do not
  overlap; deleting them gives the output (the caller compares it);
- every removal's kept copy (in this document: ``kept_doc`` absent) lies
  inside the text, outside every removed span, so it is in the output; its
  letters are what the removal's recorded ``similarity`` says (recomputed
  with `unrepeat.collapse.similarity`), and that similarity is at least the
  config's ``similarity``: the removed text is a copy of text that stays;
- the ``counts`` agree with the removals and the texts.

A kept copy in another document (corpus scope) is checked for its shape only;
the other document's text is not at hand.

>>> from unrepeat import Config, clean
>>> text = "Breaking news\\nBreaking news\\nThe story itself.\\n"
>>> report = clean(text).report("doc", Config().as_dict())
>>> check_report(text, report)
'Breaking news\\n\\nThe story itself.\\n'
>>> report["removals"][0]["kept_start"] += 1
>>> check_report(text, report)
Traceback (most recent call last):
    ...
unrepeat.verify.VerifyError: removal 15-30: its kept copy has similarity 0.5, the report records 1.0
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from .collapse import similarity
from .config import Config
from .normalize import normalize
from .report import Removal, apply_removals, sha256

#: Similarities are recorded to this many decimals.
DECIMALS = 4


class VerifyError(ValueError):
    """A report that does not prove its output; the message says what differs."""


def check_report(text: str, report: Mapping[str, object]) -> str:
    """The output that ``report`` promises for the raw input ``text``.

    Raises `VerifyError` naming the first thing that does not hold.
    """
    if "config" not in report:
        raise VerifyError("the report records no config")
    try:
        config = Config.from_dict(dict(report["config"]))  # type: ignore[call-overload]
    except (TypeError, ValueError) as exc:
        raise VerifyError(f"the report's config is invalid: {exc}") from None
    normalized = normalize(text, config).text
    digest = sha256(normalized)
    if digest != report.get("normalized_sha256"):
        raise VerifyError(f"the normalized text has sha256 {digest}, the report records {report.get('normalized_sha256')}")
    try:
        removals = [Removal.from_dict(r) for r in report.get("removals", [])]  # type: ignore[attr-defined]
        output = apply_removals(normalized, removals)  # checks each removal's text against its span
    except (KeyError, TypeError, ValueError) as exc:
        raise VerifyError(f"the removals do not replay: {exc}") from None
    spans = sorted((r.start, r.end) for r in removals)
    for r in removals:
        _check_kept(normalized, r, spans, config)
    _check_counts(report, normalized, output, removals)
    return output


def _check_kept(normalized: str, r: Removal, spans: list[tuple[int, int]], config: Config) -> None:
    where = f"removal {r.start}-{r.end}"
    if not 0 <= r.kept_start <= r.kept_end:
        raise VerifyError(f"{where}: its kept span {r.kept_start}-{r.kept_end} is not a span")
    if r.kept_doc is not None:
        return
    if r.kept_end > len(normalized):
        raise VerifyError(f"{where}: its kept span {r.kept_start}-{r.kept_end} is outside the text")
    if any(s < r.kept_end and r.kept_start < e for s, e in spans):
        raise VerifyError(f"{where}: its kept span {r.kept_start}-{r.kept_end} lies in removed text")
    kept = normalized[r.kept_start : r.kept_end]
    actual = round(similarity(r.text, kept, repeats=True), DECIMALS)
    if actual != round(r.similarity, DECIMALS):
        raise VerifyError(f"{where}: its kept copy has similarity {actual}, the report records {r.similarity}")
    if actual < config.similarity:
        raise VerifyError(f"{where}: its kept copy is not a copy of it (similarity {actual})")


def _check_counts(report: Mapping[str, object], normalized: str, output: str, removals: list[Removal]) -> None:
    counts = report.get("counts")
    if not isinstance(counts, Mapping):
        raise VerifyError("the report records no counts")
    expected = {
        "normalized_chars": len(normalized),
        "output_chars": len(output),
        "removals": len(removals),
        "removed_chars": sum(r.end - r.start for r in removals),
        "by_reason": dict(sorted(Counter(str(r.reason) for r in removals).items())),
    }
    for name, value in expected.items():
        if counts.get(name) != value:
            raise VerifyError(f"the report counts {name} {counts.get(name)!r}, the texts give {value!r}")
