"""langtag.normalise: the tables that answer two-letter tags without langcodes give what langcodes gives."""
import string

import langcodes
import pytest

from publisher import langtag

PAIRS = [a + b for a in string.ascii_lowercase for b in string.ascii_lowercase]


def by_langcodes(text: str) -> str | None:
    """The answer of the slow path: langcodes' standard tag, when it is valid."""
    try:
        tag = langcodes.standardize_tag(text)
    except (ValueError, langcodes.tag_parser.LanguageTagError):
        return None
    return tag if langcodes.tag_is_valid(tag) else None


def test_the_language_table_holds_exactly_the_codes_langcodes_keeps_and_finds_valid():
    assert langtag.LANGUAGES == {c for c in PAIRS if by_langcodes(c) == c}


def test_the_region_table_holds_exactly_the_regions_langcodes_keeps_and_finds_valid():
    assert langtag.REGIONS == {r.upper() for r in PAIRS if by_langcodes(f"en-{r.upper()}") == f"en-{r.upper()}"}


def test_every_language_and_region_pair_is_what_langcodes_makes_of_it():
    wrong = [(lang, region) for lang in sorted(langtag.LANGUAGES) for region in sorted(langtag.REGIONS)
             if by_langcodes(f"{lang}-{region}") != f"{lang}-{region}"]
    assert wrong == []


@pytest.mark.parametrize("code", ["en", "EN", "en_us", "en-us", "pt_BR", "zh_cn", "iw", "in", "mo", "sh", "eng",
                                  "en-", "-en", "en-XX-y", "en-u", "xx", "xx-US", "en-ZR", "de-DE-1901", "sr-Latn",
                                  "zh-Hant-TW", "und", "en--US", "qa"])
def test_the_short_cut_and_langcodes_agree(code):
    langtag.normalise.cache_clear()
    expected = by_langcodes(code.strip().replace("_", "-"))
    assert langtag.normalise(code) == expected
