"""HTML fragments → well-formed, namespaced XHTML for EPUB content documents."""
from __future__ import annotations

from lxml import etree
from lxml import html as lxml_html

XHTML = "http://www.w3.org/1999/xhtml"
MATHML = "http://www.w3.org/1998/Math/MathML"
SVG = "http://www.w3.org/2000/svg"
EPUB = "http://www.idpf.org/2007/ops"
XLINK = "http://www.w3.org/1999/xlink"
NSMAP = {None: XHTML, "epub": EPUB}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Attributes that are invalid in EPUB XHTML and carry nothing a reader needs.
DROP_ATTRS = {"align", "valign", "bgcolor", "border", "cellpadding", "cellspacing", "frameborder", "allowfullscreen",
              "allow", "clear", "nowrap", "hspace", "vspace", "language"}


def parse_fragment(fragment: str):
    """Parse an HTML fragment into an lxml.html <div> container (void elements such as <source> kept empty)."""
    from .raw_html import unnest_void

    root = lxml_html.fragment_fromstring(fragment or "", create_parent="div")
    unnest_void(root)
    return root


def _convert(el, ns: str):
    """Copy an lxml.html element into a namespaced etree element (recursively)."""
    if not isinstance(el.tag, str):  # comment or processing instruction: drop
        return None
    tag = el.tag.lower()
    if ":" in tag:
        tag = tag.split(":", 1)[1]
    if tag == "math":
        ns = MATHML
    elif tag == "svg":
        ns = SVG
    # <math>/<svg> declare their namespace as the default one, so they serialize as <math xmlns="…">
    new = etree.Element(f"{{{ns}}}{tag}", nsmap={None: ns} if tag in ("math", "svg") else None)
    for name, value in el.attrib.items():
        lname = name.lower()
        if lname.startswith("on") or lname in DROP_ATTRS:
            continue
        if lname == "epub:type":
            new.set(f"{{{EPUB}}}type", value)
        elif lname in ("xml:lang",):
            new.set("{http://www.w3.org/XML/1998/namespace}lang", value)
        elif lname == "xlink:href":
            new.set(f"{{{XLINK}}}href", value)
        elif lname == "xmlns" or lname.startswith("xmlns:") or ":" in lname:
            continue
        else:
            new.set(name if ns != XHTML else lname, value)
    new.text = el.text
    for child in el:
        converted = _convert(child, ns if ns != XHTML or child.tag not in ("math", "svg") else XHTML)
        if converted is not None:
            new.append(converted)
            converted.tail = child.tail
        elif child.tail:
            # keep the text after a dropped comment
            if len(new):
                new[-1].tail = (new[-1].tail or "") + child.tail
            else:
                new.text = (new.text or "") + child.tail
    return new


def to_xhtml_elements(container) -> list:
    """The children of an lxml.html container as namespaced XHTML elements."""
    out = []
    for child in container:
        c = _convert(child, XHTML)
        if c is not None:
            c.tail = child.tail
            out.append(c)
    return out


def document(title: str, lang: str, body_children: list, css_href: str = "style.css",
             body_class: str = "", epub_type: str = "") -> bytes:
    """A complete XHTML content document."""
    root = etree.Element(f"{{{XHTML}}}html", nsmap=NSMAP)
    root.set("lang", lang)
    root.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    head = etree.SubElement(root, f"{{{XHTML}}}head")
    etree.SubElement(head, f"{{{XHTML}}}meta", charset="utf-8")
    t = etree.SubElement(head, f"{{{XHTML}}}title")
    t.text = title
    etree.SubElement(head, f"{{{XHTML}}}link", rel="stylesheet", type="text/css", href=css_href)
    body = etree.SubElement(root, f"{{{XHTML}}}body")
    if body_class:
        body.set("class", body_class)
    if epub_type:
        body.set(f"{{{EPUB}}}type", epub_type)
    for child in body_children:
        body.append(child)
    etree.cleanup_namespaces(root, top_nsmap={None: XHTML, "epub": EPUB})
    return b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n' + etree.tostring(root, encoding="utf-8")


def E(tag: str, text: str | None = None, **attrs):
    """Build an XHTML element: E('p', 'text', **{'class': 'x'})."""
    el = etree.Element(f"{{{XHTML}}}{tag}")
    for k, v in attrs.items():
        k = k.rstrip("_").replace("__", ":")
        if k == "epub:type":
            el.set(f"{{{EPUB}}}type", v)
        else:
            el.set(k, v)
    if text is not None:
        el.text = text
    return el


def fragment_elements(fragment: str) -> list:
    """Parse an HTML fragment straight into XHTML elements."""
    return to_xhtml_elements(parse_fragment(fragment))
