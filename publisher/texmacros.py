"""TeX macros and legacy TeX in a post's math, resolved before pandoc (whose TeX reader, texmath,
knows neither the site's MathJax/KaTeX macros nor TeX's old font switches).

- Definitions: `\\newcommand`, `\\renewcommand`, `\\providecommand` (with `*`, an argument count and
  an optional first argument's default), `\\def` (undelimited `#1…#9`), `\\DeclareMathOperator` (and
  `*`), found in any formula of the post (also one hidden in a `display: none` div), plus the site's
  macros (`publisher.mathconfig`). A formula that only defines macros is removed.
- Expansion: each use of a macro is replaced by its body with the arguments put in, again and again
  (nested macros), with limits so that a recursive definition cannot run away.
- Legacy TeX: `{\\bf x}`, `\\rm`, `\\it`, `\\cal`, `\\sf`, `\\tt`, `\\frak`, `\\Bbb`, `\\bold`,
  `{a \\over b}`, `\\textcolor`, `\\color`, `\\colorbox`, `\\fbox`, `\\emph`, `\\require`,
  `\\definecolor` → what texmath reads (`\\mathbf{x}`, `\\frac{a}{b}`, …; colours are dropped, as
  texmath draws none); a `\\\\` just before `\\end{…}` (an empty last row, which the PDF's math
  renderer cannot draw) is removed.

Equation environments, `\\tag`, `\\label` and `\\ref` are left as they are here (see
filters/math-environments.lua and the cross-reference stage).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_EXPANSIONS = 5000  # per formula: a recursive macro stops here
MAX_DEPTH = 40  # macros within macros
MAX_LENGTH = 100_000  # characters per formula after expansion

_CS = re.compile(r"\\(?:[A-Za-z]+|.)", re.S)


@dataclass(frozen=True)
class Macro:
    """One macro: \\NAME with NARGS arguments; DEFAULT is the first argument's default (optional
    argument in brackets) or None."""

    name: str
    nargs: int
    body: str
    default: str | None = None


# ---- reading TeX ----------------------------------------------------------------------------------

def _skip_space(tex: str, i: int) -> int:
    while i < len(tex) and tex[i] in " \t\n\r":
        i += 1
    return i


def _scan(tex: str, i: int, stop) -> int | None:
    """The first index from I whose character C, with the brace depth D after it, makes stop(C, D)
    true (TeX escapes such as `\\{` skipped), or None."""
    depth = 0
    j = i
    while j < len(tex):
        c = tex[j]
        if c == "\\":
            j += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        if stop(c, depth):
            return j
        j += 1
    return None


def group_end(tex: str, i: int) -> int | None:
    """The index just after the `}` that closes the `{` at I (TeX escapes such as `\\{` skipped), or
    None when it never closes."""
    j = _scan(tex, i, lambda c, depth: c == "}" and depth == 0)
    return None if j is None else j + 1


def _group(tex: str, i: int) -> tuple[str, int] | None:
    """The balanced {…} group starting at I: (its inside, index after it), or None."""
    if i >= len(tex) or tex[i] != "{":
        return None
    end = group_end(tex, i)
    return (tex[i + 1:end - 1], end) if end is not None else None


def _argument(tex: str, i: int) -> tuple[str, int] | None:
    """One undelimited argument at I (after spaces): a group's inside, a control sequence or a character."""
    i = _skip_space(tex, i)
    if i >= len(tex):
        return None
    if tex[i] == "{":
        return _group(tex, i)
    if tex[i] == "}":
        return None
    m = _CS.match(tex, i)
    if m:
        return m.group(0), m.end()
    return tex[i], i + 1


def _optional(tex: str, i: int) -> tuple[str, int] | None:
    """A bracketed optional argument at I (after spaces), or None."""
    j = _skip_space(tex, i)
    if j >= len(tex) or tex[j] != "[":
        return None
    k = _scan(tex, j, lambda c, depth: c == "]" and depth == 0)
    return None if k is None else (tex[j + 1:k], k + 1)


def _name(tex: str, i: int) -> tuple[str, int] | None:
    """The macro name being defined at I: `\\name` or `{\\name}` → ('name', index after)."""
    i = _skip_space(tex, i)
    if tex.startswith("{", i):
        g = _group(tex, i)
        if not g:
            return None
        m = re.fullmatch(r"\s*\\([A-Za-z]+|.)\s*", g[0])
        return (m.group(1), g[1]) if m else None
    m = _CS.match(tex, i)
    return (m.group(0)[1:], m.end()) if m else None


_DEFINER = re.compile(r"\\(newcommand|renewcommand|providecommand|DeclareMathOperator|def|gdef|edef|let)\b(\*?)")


def definitions(tex: str) -> tuple[list[Macro], str]:
    """The macro definitions in TEX, in order, and TEX without them."""
    found: list[Macro] = []
    out: list[str] = []
    i = 0
    while True:
        m = _DEFINER.search(tex, i)
        if not m:
            out.append(tex[i:])
            break
        out.append(tex[i:m.start()])
        kind, star = m.group(1), m.group(2)
        parsed = _definition(tex, m.end(), kind, star)
        if parsed is None:  # not a definition we can read: leave it for pandoc (it reports it)
            out.append(m.group(0))
            i = m.end()
            continue
        macro, i = parsed
        if macro is not None:
            found.append(macro)
    return found, "".join(out)


def _definition(tex: str, i: int, kind: str, star: str) -> tuple[Macro | None, int] | None:
    named = _name(tex, i)
    if not named:
        return None
    name, i = named
    if kind == "DeclareMathOperator":
        body = _argument(tex, i)
        if not body:
            return None
        return Macro(name, 0, f"\\operatorname{star}{{{body[0]}}}"), body[1]
    if kind == "let":
        j = _skip_space(tex, i)
        if tex.startswith("=", j):
            j += 1
        target = _argument(tex, j)
        if not target:
            return None
        return Macro(name, 0, target[0]), target[1]
    if kind in ("def", "gdef", "edef"):
        params = re.match(r"((?:#\d)*)\s*", tex[i:])
        nargs = len(params.group(1)) // 2
        body = _group(tex, i + params.end())
        if not body:
            return None
        return Macro(name, nargs, body[0]), body[1]
    nargs = 0
    opt = _optional(tex, i)
    if opt:
        if not opt[0].strip().isdigit():
            return None
        nargs, i = int(opt[0]), opt[1]
    default = None
    opt = _optional(tex, i)
    if opt:
        default, i = opt
    body = _argument(tex, i)
    if not body:
        return None
    return Macro(name, nargs, body[0], default), body[1]


# ---- expanding ------------------------------------------------------------------------------------

class _Budget:
    def __init__(self):
        self.left = MAX_EXPANSIONS
        self.depth = 0


def _substitute(body: str, args: list[str]) -> str:
    def repl(m):
        if m.group(0) == "##":
            return "#"
        n = int(m.group(1))
        return args[n - 1] if n <= len(args) else ""
    return re.sub(r"##|#(\d)", repl, body)


def _several_tokens(tex: str) -> bool:
    """Whether TEX is more than one token (a group counts as one)."""
    t = tex.strip()
    if not t:
        return False
    if t.startswith("{"):
        g = _group(t, 0)
        return not (g and g[1] == len(t))
    m = _CS.match(t)
    return not ((m and m.end() == len(t)) or len(t) == 1)


def expand(tex: str, macros: dict[str, Macro], _budget: _Budget | None = None) -> str:
    """TEX with every use of MACROS replaced by its expansion (nested ones too)."""
    if not macros or "\\" not in tex:
        return tex
    budget = _budget or _Budget()
    out: list[str] = []
    i = 0
    n = len(tex)
    while i < n:
        c = tex[i]
        if c != "\\":
            j = tex.find("\\", i)
            j = n if j < 0 else j
            out.append(tex[i:j])
            i = j
            continue
        m = _CS.match(tex, i)
        name = m.group(0)[1:]
        macro = macros.get(name)
        if macro is None or budget.left <= 0 or budget.depth >= MAX_DEPTH:
            out.append(m.group(0))
            i = m.end()
            continue
        budget.left -= 1
        j = m.end()
        if name[:1].isalpha():
            while j < n and tex[j] in " \t":  # TeX skips spaces after a control word (newlines are kept,
                j += 1                           # for the line numbers)
        args: list[str] = []
        if macro.default is not None:
            opt = _optional(tex, j)
            if opt:
                args.append(opt[0])
                j = opt[1]
            else:
                args.append(macro.default)
        ok = True
        while len(args) < macro.nargs:
            arg = _argument(tex, j)
            if arg is None:
                ok = False
                break
            args.append(arg[0])
            j = arg[1]
        if not ok:
            out.append(m.group(0))
            i = m.end()
            continue
        budget.depth += 1
        result = expand(_substitute(macro.body, args), macros, budget)
        budget.depth -= 1
        if sum(map(len, out)) + len(result) > MAX_LENGTH:
            out.append(m.group(0))
            i = m.end()
            budget.left = 0
            continue
        before = "".join(out[-2:]).rstrip()
        if _several_tokens(result) and (before.endswith(("^", "_")) or re.search(r"\\[A-Za-z]+$", before)):
            result = "{" + result + "}"  # \hat\opp, x^\RR: the macro is one argument, as in MathJax
        out.append(result)
        if j < n and tex[j].isalpha() and re.search(r"\\[A-Za-z]+$", result):
            out.append(" ")  # \foo → \alpha: keep "\foo b" from becoming "\alphab"
        i = j
    return "".join(out)


# ---- legacy TeX -----------------------------------------------------------------------------------

_SWITCHES = {"bf": "\\mathbf", "rm": "\\mathrm", "it": "\\mathit", "cal": "\\mathcal", "sf": "\\mathsf",
             "tt": "\\mathtt", "frak": "\\mathfrak", "mit": "\\mathit", "sc": "\\mathrm"}
_COMMANDS = {"Bbb": "\\mathbb", "bold": "\\mathbf", "emph": "\\textit", "textup": "\\textrm"}
_SWITCH = re.compile(r"\\(bf|rm|it|cal|sf|tt|frak|mit|sc)(?![A-Za-z])\s*")


def modernize(tex: str) -> str:
    """Legacy TeX in a formula → commands texmath reads (see the module's docstring)."""
    if "\\" not in tex:
        return tex
    tex = re.sub(r"\\(Bbb|bold|emph|textup)(?![A-Za-z])", lambda m: _COMMANDS[m.group(1)], tex)
    tex = _drop_commands(tex)
    tex = _math_in_text(tex)
    tex = re.sub(r"\\(tiny|scriptsize|footnotesize|small|normalsize|large|Large|LARGE|huge|Huge)(?![A-Za-z])\s*", "", tex)
    tex = _font_switches(tex)
    tex = _over(tex)
    tex = re.sub(r"\\\\(?:\s*\\\\)+", lambda m: "\\\\" + "\n" * m.group(0).count("\n"), tex)  # doubled for Markdown
    tex = re.sub(r"\\\\(\s*)(?=\\end\{)", lambda m: "\n" * m.group(1).count("\n"), tex)  # an empty last row
    return tex


# MathJax commands texmath does not read: name → (optional argument?, arguments, replacement), where the
# replacement names the arguments {0}, {1}… (already rewritten themselves); None removes the command.
_REWRITES: dict[str, tuple[bool, int, str | None]] = {
    "require": (False, 1, None), "definecolor": (True, 3, None), "color": (True, 1, None),
    "textcolor": (True, 2, "{{{1}}}"), "colorbox": (True, 2, "\\boxed{{\\text{{{1}}}}}"),
    "fbox": (False, 1, "\\boxed{{\\text{{{0}}}}}"), "bbox": (True, 1, "\\boxed{{{0}}}"),
    "hbox": (False, 1, "\\text{{{0}}}"), "textsc": (False, 1, "\\text{{{0}}}"),
    "raisebox": (False, 2, "\\text{{{1}}}"), "hphantom": (False, 1, "\\phantom{{{0}}}"),
    "vphantom": (False, 1, None), "smash": (True, 1, "{{{0}}}"), "mathclap": (False, 1, "{{{0}}}"),
    "llap": (False, 1, "{{{0}}}"), "rlap": (False, 1, "{{{0}}}"), "mathllap": (False, 1, "{{{0}}}"),
    "mathrlap": (False, 1, "{{{0}}}"), "href": (False, 2, "{{{1}}}"), "class": (False, 2, "{{{1}}}"),
    "style": (False, 2, "{{{1}}}"), "cssId": (False, 2, "{{{1}}}"), "enclose": (True, 2, "\\boxed{{{1}}}"),
    "mathbbm": (False, 1, "\\mathbb{{{0}}}"), "displaylines": (False, 1, "\\begin{{gathered}}{0}\\end{{gathered}}"),
    "ce": (False, 1, "\\mathrm{{{0}}}"), "pu": (False, 1, "\\mathrm{{{0}}}"),
}
_REWRITE = re.compile(r"\\(" + "|".join(sorted(_REWRITES, key=len, reverse=True)) + r")(?![A-Za-z])")
_KERN = re.compile(r"\\(?:mkern|mskip|kern|hskip|mspace)\s*\{?\s*(-?)\s*[\d.]+\s*(?:mu|em|ex|pt|px|mm)\s*\}?")
_DROP = re.compile(r"\\(?:limits|nolimits|mathstrut|strut|middle|displaystyle|textstyle)(?![A-Za-z])\s*")


def _drop_commands(tex: str) -> str:
    r"""MathJax's colour, box, link, phantom and extension commands (_REWRITES), kerns (\mkern-4mu →
    \!, a positive one → \,), \unicode{…}, \ldotp, \limits, \middle, \strut: in a form texmath reads."""
    tex = _KERN.sub(lambda m: "\\!" if m.group(1) else "\\,", tex)
    tex = re.sub(r"\\unicode\s*\{\s*(x[0-9a-fA-F]+|\d+)\s*\}",
                 lambda m: chr(int(m.group(1)[1:], 16) if m.group(1)[0] == "x" else int(m.group(1))), tex)
    tex = tex.replace("\\ldotp", ".")
    out: list[str] = []
    i = 0
    while True:
        m = _REWRITE.search(tex, i)
        if not m:
            out.append(tex[i:])
            return _DROP.sub("", "".join(out))
        out.append(tex[i:m.start()])
        optional, count, template = _REWRITES[m.group(1)]
        j = m.end()
        opt = _optional(tex, j) if optional else None
        if opt:
            j = opt[1]
        args = []
        for _ in range(count):
            arg = _argument(tex, j)
            if arg is None:
                break
            args.append(arg[0])
            j = arg[1]
        if len(args) < count:
            out.append(m.group(0))
            i = m.end()
            continue
        if template is not None:
            out.append(template.format(*[_drop_commands(a) for a in args]))
        i = j


def _math_in_text(tex: str) -> str:
    r"""\text{the $x$ axis} → \text{the }x\text{ axis} (MathJax reads math inside text; texmath does not)."""
    if "$" not in tex:
        return tex
    out: list[str] = []
    i = 0
    for m in re.finditer(r"\\(text|mbox|textrm|textbf|textit|textsf|texttt)\s*(?=\{)", tex):
        if m.start() < i:
            continue
        group = _group(tex, m.end())
        if not group or "$" not in group[0]:
            continue
        pieces = re.split(r"(?<!\\)\$([^$]*)(?<!\\)\$", group[0])
        parts = []
        for k, piece in enumerate(pieces):
            if k % 2:
                parts.append("{" + piece + "}")
            elif piece:
                parts.append(f"\\{m.group(1)}{{{piece}}}")
        out.append(tex[i:m.start()] + "".join(parts))
        i = group[1]
    out.append(tex[i:])
    return "".join(out)


def _font_switches(tex: str) -> str:
    r"""{\bf x y} → {\mathbf{x y}}: a switch applies to the rest of its group."""
    while True:
        m = _SWITCH.search(tex)
        if not m:
            return tex
        command = _SWITCHES[m.group(1)]
        start = m.end()
        depth = 0
        j = start
        while j < len(tex):
            c = tex[j]
            if c == "\\":
                if depth == 0 and re.match(r"\\(end|right|\\|tag|label)(?![A-Za-z])|\\\\", tex[j:]):
                    break
                j += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                if depth == 0:
                    break
                depth -= 1
            elif c == "&" and depth == 0:
                break
            j += 1
        inner = tex[start:j]
        tex = tex[:m.start()] + command + "{" + inner.rstrip() + "}" + (" " if inner.endswith(" ") else "") + tex[j:]


def _over(tex: str) -> str:
    r"""{a \over b} → {\frac{a}{b}}; {n \atop k} → n above k (a one-column matrix)."""
    for _ in range(100):
        m = re.search(r"\\(over|atop)(?![A-Za-z])", tex)
        if not m:
            return tex
        # the enclosing group
        depth = 0
        s = m.start() - 1
        while s >= 0:
            c = tex[s]
            if c == "}" and (s == 0 or tex[s - 1] != "\\"):
                depth += 1
            elif c == "{" and (s == 0 or tex[s - 1] != "\\"):
                if depth == 0:
                    break
                depth -= 1
            s -= 1
        e = _scan(tex, m.end(), lambda c, depth: c == "}" and depth < 0)  # the group's closing brace
        e = len(tex) if e is None else e
        num, den = tex[s + 1:m.start()].strip(), tex[m.end():e].strip()
        frac = (f"\\frac{{{num}}}{{{den}}}" if m.group(1) == "over"
                else f"\\begin{{matrix}}{num}\\\\{den}\\end{{matrix}}")
        tex = tex[:s + 1] + frac + tex[e:]
    return tex


def resolve(tex: str, macros: dict[str, Macro]) -> str:
    """One formula: macros expanded, then legacy TeX modernised."""
    return modernize(expand(tex, macros))


def as_dict(found: list[Macro], base: dict[str, Macro] | None = None) -> dict[str, Macro]:
    """Macros by name, later definitions winning (as \\renewcommand and \\def do)."""
    table = dict(base or {})
    for macro in found:
        table[macro.name] = macro
    return table
