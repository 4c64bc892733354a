"""Posts that share a slug, and the language versions of a paper.

Jekyll publishes every post at its own URL, so a site that keeps one `_posts/` per language
(`en/news/_posts/`, `fr/news/_posts/`) has several posts with the same slug. Each gets its own
output folder: the first (in the order of the source paths) keeps the slug, and each later one
gets the first free name of `<slug>-<lang>` (when its language differs from the first's),
`<slug>-<yyyy-mm-dd>`, `<slug>-<folder>` (the post's folder path, slugified) and `<slug>-<n>`.
Two posts with the same URL cannot both be published (Jekyll writes one over the other): the later
one is an error, as before.

Language versions: papers are versions of each other when they have different languages and
either share a translation key in their front matter (the first of `translation_key`, `lang_ref`,
`ref`, `i18n_key`, `translation_id`, `page_id`, `namespace`: the keys of jekyll-polyglot,
jekyll-multiple-languages-plugin and common hand-made set-ups) or have the same file name (the same
date and slug) in different language folders.
"""
from __future__ import annotations

from dataclasses import dataclass

from .jekyll.names import slugify
from .model import Paper

TRANSLATION_KEYS = ("translation_key", "lang_ref", "ref", "i18n_key", "translation_id", "page_id", "namespace")

AUTONYMS = {
    "ar": "العربية", "ca": "Català", "cs": "Čeština", "da": "Dansk", "de": "Deutsch", "el": "Ελληνικά",
    "en": "English", "es": "Español", "fa": "فارسی", "fi": "Suomi", "fr": "Français", "he": "עברית",
    "hi": "हिन्दी", "hu": "Magyar", "id": "Bahasa Indonesia", "it": "Italiano", "ja": "日本語", "ko": "한국어",
    "nb": "Norsk bokmål", "nl": "Nederlands", "no": "Norsk", "pl": "Polski", "pt": "Português", "ro": "Română",
    "ru": "Русский", "sv": "Svenska", "th": "ไทย", "tr": "Türkçe", "uk": "Українська", "vi": "Tiếng Việt",
    "zh": "中文", "zh-Hans": "简体中文", "zh-Hant": "繁體中文", "zh-CN": "简体中文", "zh-TW": "繁體中文",
    "pt-BR": "Português (Brasil)", "pt-PT": "Português (Portugal)",
}


@dataclass(frozen=True)
class Version:
    """One language version of a paper: its language, output folder (slug) and title."""

    lang: str
    slug: str
    title: str

    @property
    def label(self) -> str:
        """The language's own name (`Français`), or its tag when not known."""
        return AUTONYMS.get(self.lang) or AUTONYMS.get(self.lang.split("-")[0]) or self.lang


def free_slug(paper: Paper, first: Paper, taken: set[str]) -> str:
    """An output folder for PAPER, whose slug FIRST already has (see the module's docstring)."""
    base = paper.slug
    folder = "/".join(part for part in paper.rel_source.split("/")[:-1] if part != "_posts")
    candidates = []
    if paper.lang.lower() != first.lang.lower():
        candidates.append(f"{base}-{paper.lang.lower()}")
    candidates.append(f"{base}-{paper.date:%Y-%m-%d}")
    if folder:
        candidates.append(f"{base}-{slugify(folder)}")
    for name in candidates:
        if name not in taken:
            return name
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _key(paper: Paper) -> str:
    for key in TRANSLATION_KEYS:
        value = paper.meta.get(key)
        if isinstance(value, (str, int)) and str(value).strip():
            return f"{key}={value}"
    return "file=" + paper.source.name


def versions(papers: list[Paper]) -> dict[str, list[Version]]:
    """Slug → every language version of that paper (itself included, sorted by language), for the
    papers that have at least one version in another language."""
    groups: dict[str, list[Paper]] = {}
    for p in papers:
        groups.setdefault(_key(p), []).append(p)
    found: dict[str, list[Version]] = {}
    for group in groups.values():
        langs = {p.lang.lower() for p in group}
        if len(group) < 2 or len(langs) < 2:
            continue
        seen: dict[str, Paper] = {}
        for p in sorted(group, key=lambda p: (p.lang.lower(), p.rel_source)):
            seen.setdefault(p.lang.lower(), p)  # one version per language
        listed = [Version(p.lang, p.slug, p.title) for p in seen.values()]
        for p in group:
            found[p.slug] = listed
    return found
