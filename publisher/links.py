"""Site-wide links, computed once from all the papers of a build and handed to every edition:
each post's public address (what its relative links are relative to), every address a post of the
build can be linked at ({% post_url %}, {% link %}, or written by hand), and which papers a post
links to (they become its dependencies, and its editions point at theirs)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from .model import Paper

SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def page_address(paper: Paper, site_url: str, baseurl: str) -> str:
    """The post's public address, which its relative links are relative to: url + baseurl + the
    post's URL (without `url:`, the site path: baseurl + the post's URL)."""
    return site_url.rstrip("/") + "/" + (baseurl.strip("/") + "/" if baseurl.strip("/") else "") \
        + paper.url.lstrip("/")


def edition_targets(papers: list[Paper], site_url: str, baseurl: str) -> dict[str, str]:
    """Every way a post of this build can be linked (its site path with the baseurl, its absolute URL) → its slug."""
    targets: dict[str, str] = {}
    for p in papers:
        for form in (baseurl + p.url, site_url + baseurl + p.url):
            targets[form] = p.slug
    return targets


def target(url: str, targets: dict[str, str]) -> str | None:
    """The slug of the paper at URL (with or without its trailing slash), if it is one of TARGETS."""
    return targets.get(url) or targets.get(url.rstrip("/") + "/")


_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)|^ {0,3}\[[^\]\n]+\]:\s*<?([^\s>]+)|href\s*=\s*[\"']([^\"']+)", re.M)


def linked_posts(paper: Paper, targets: dict[str, str], site_url: str, baseurl: str) -> list[str]:
    """The slugs of the papers PAPER links to by hand (Markdown links, reference definitions, raw
    HTML) at their address on the website, as TARGETS (edition_targets()) lists them, or relative
    to the post's own address. A root-relative link without the `baseurl` does not count: on the
    site it leads elsewhere."""
    if not targets or ("](" not in paper.body and "]:" not in paper.body and "href" not in paper.body):
        return []
    page = page_address(paper, site_url, baseurl)
    found: list[str] = []
    for m in _LINK.finditer(paper.body):
        base = next(g for g in m.groups() if g).partition("#")[0]
        if not base or (SCHEME.match(base) and not base.startswith(("http:", "https:"))):
            continue
        slug = target(urljoin(page, base), targets)
        if slug and slug != paper.slug and slug not in found:
            found.append(slug)
    return found


@dataclass
class SiteLinks:
    """The links between the papers of a build, computed once from all of them (whatever the shard)."""

    targets: dict[str, str]  # every address a post of the build can be linked at → its slug
    slug_of: dict[str, str]  # a post's source, relative to the site root → its slug

    def for_paper(self, paper: Paper) -> dict[str, str]:
        """The part of TARGETS one paper's editions need: the papers its post links to (its dependencies)."""
        linked = {self.slug_of[d] for d in paper.dependencies if d in self.slug_of}
        return {url: slug for url, slug in self.targets.items() if slug in linked}


def site_links(papers: list[Paper], site_url: str, baseurl: str) -> SiteLinks:
    """The build's links between papers. `{% post_url %}` and `{% link %}` targets are dependencies
    already; a link written by hand to another post becomes a dependency of the post here."""
    targets = edition_targets(papers, site_url, baseurl)
    source_of = {p.slug: p.rel_source for p in papers}
    for paper in papers:
        paper.dependencies += [source_of[s] for s in linked_posts(paper, targets, site_url, baseurl)
                               if source_of[s] not in paper.dependencies]
    return SiteLinks(targets, {p.rel_source: p.slug for p in papers})
