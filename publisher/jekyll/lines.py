"""Line maps: which source line each line of a rewritten body came from (for file:line messages)."""
from __future__ import annotations

WINDOW = 40  # how far ahead a rewrite may have moved a line (inserted or removed lines)


def _find(lines: list[str], line: str, start: int) -> int | None:
    """The index of LINE in LINES[start:start + WINDOW], or None."""
    try:
        return lines.index(line, start, start + WINDOW)
    except ValueError:
        return None


def identity(text: str, first_line: int) -> list[int]:
    """The map of an untouched body that starts at FIRST_LINE of its file."""
    return list(range(first_line, first_line + text.count("\n") + 1))


def follow(before: str, after: str, before_map: list[int]) -> list[int]:
    """The map of AFTER, a local rewrite of BEFORE (whose map is BEFORE_MAP): equal lines are matched
    in order; inserted lines take the origin of the line above, replaced lines that of the line they
    replace. Linear time: rewrites only insert, remove or change a few lines at a time."""
    if before.count("\n") == after.count("\n"):
        return list(before_map)  # rewritten in place, line for line
    a, b = before.split("\n"), after.split("\n")
    origin = (lambda i: before_map[min(max(i, 0), len(before_map) - 1)]) if before_map else (lambda i: 1)
    result: list[int] = []
    i = j = 0
    while j < len(b):
        if i < len(a) and a[i] == b[j]:
            result.append(origin(i))
            i += 1
            j += 1
            continue
        ahead_b = _find(b, a[i], j + 1) if i < len(a) else None
        ahead_a = _find(a, b[j], i + 1)
        if ahead_b is not None and (ahead_a is None or ahead_b - j <= ahead_a - i):
            result.extend(origin(i - 1) if i > 0 else origin(0) for _ in range(j, ahead_b))  # inserted
            j = ahead_b
        elif ahead_a is not None:
            i = ahead_a  # removed lines
        else:
            result.append(origin(i))  # a changed line
            i += 1
            j += 1
    return result
