"""Jekyll::Utils.slugify's modes, as Jekyll 4.3 documents them (the filter and the catalog's facet ids)."""
import pytest

from publisher.catalog import facet_id
from publisher.jekyll.names import slugify


@pytest.mark.parametrize("mode, text, expected", [
    ("default", "The _config.yml file", "the-config-yml-file"),
    ("default", "Données ouvertes", "données-ouvertes"),
    ("pretty", "The _config.yml file?", "the-_config.yml-file"),
    ("ascii", "The _cönfig.yml file?", "the-c-nfig-yml-file"),
    ("latin", "The _cönfig.yml file?", "the-config-yml-file"),
    ("latin", "Ærø Straße", "aero-strasse"),
    ("latin", "気候 data", "data"),
    ("raw", "The _config.yml file?", "the-_config.yml-file?"),
    ("none", "The _config.yml file?", "the _config.yml file?"),
])
def test_slugify_modes(mode, text, expected):
    assert slugify(text, mode=mode) == expected


def test_cased_keeps_capitals():
    assert slugify("The _config.yml file", cased=True) == "The-config-yml-file"


def test_facet_ids_are_ascii_and_never_empty():
    assert facet_id("tag", "Données ouvertes") == "tag-donnees-ouvertes"
    other = facet_id("tag", "気候")
    assert other.startswith("tag-x") and other.isascii() and other != facet_id("tag", "天気")
