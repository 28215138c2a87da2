import pytest

from unrepeat import Config, Keep, Scope


def test_defaults_are_documented_values():
    c = Config()
    assert (c.keep, c.threshold, c.scope, c.collapse_short) == (Keep.BEST, 3, Scope.DOCUMENT, False)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("threshold", 65, "threshold must be between 0 and 64, got 65"),
        ("threshold", -1, "threshold must be between 0 and 64, got -1"),
        ("threshold", 2.5, "threshold must be a whole number, got 2.5"),
        ("similarity", 1.5, "similarity must be between 0.0 and 1.0, got 1.5"),
        ("keep", "middle", "keep must be one of best, first, last, got 'middle'"),
        ("scope", "world", "scope must be one of document, corpus, got 'world'"),
        ("min_sentence_words", 0, "min_sentence_words must be between 1 and 100000, got 0"),
        ("max_gap", True, "max_gap must be a number, got True"),
    ],
)
def test_bad_values_are_refused_with_the_field_name(field, value, message):
    with pytest.raises(ValueError) as err:
        Config(**{field: value})
    assert str(err.value) == message


def test_strings_become_enums_and_dict_round_trip():
    c = Config(keep="last", scope="corpus")
    assert c.keep is Keep.LAST and c.scope is Scope.CORPUS
    assert Config.from_dict(c.as_dict()) == c
    assert c.as_dict()["keep"] == "last"


def test_unknown_fields_in_a_dict_are_refused():
    with pytest.raises(ValueError, match="unknown config field"):
        Config.from_dict({"colour": "red"})


def test_replace_validates():
    assert Config().replace(threshold=5).threshold == 5
    with pytest.raises(ValueError):
        Config().replace(threshold=99)
