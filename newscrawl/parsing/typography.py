"""kramdown's smart quotes and typographic symbols, on the text of a Markdown paragraph.

Jekyll renders posts with kramdown, which turns ASCII quotes into curly ones by its own rules
(a port of SmartyPants: in Chinese text without spaces `据"新华社"报道` gets two closing
quotes, `据”新华社”报道`), and `--`, `---`, `...`, `<<`, `>>` into –, —, …, «, ». Rendering a
source as the site did means doing the same: these are kramdown's rules (its
parser/kramdown/smart_quotes.rb and typographic_symbol.rb), with Ruby's regular expressions'
ASCII-only `\\w`, `\\s`, `\\d` and Unicode `\\b`.
"""

from __future__ import annotations

import re

_PUNCT = r"[!\"#$%'()*+,\-./:;<=>?@\[\\\]^_`{|}~]"
_CLOSE = r"[^ \\\t\r\n\[{(-]"
# Ruby's \w, \s, \d and \S are ASCII (written (?a:…) here), its \b and \B are Unicode's.
_W, _S, _D, _NS = r"(?a:\w)", r"(?a:\s)", r"(?a:\d)", r"(?a:\S)"
_RULES: list[tuple[re.Pattern[str], tuple[int | str, ...]]] = [
    (re.compile(rf"(\"|')(?=[_*]{{1,2}}{_NS})"), ("lquote1",)),
    (re.compile(rf"(\"|')(?={_PUNCT}(?!\.\.)\B)"), ("rquote1",)),
    (re.compile(rf"({_S}?)\"'(?={_W})"), (1, "ldquo", "lsquo")),
    (re.compile(rf"({_S}?)'\"(?={_W})"), (1, "lsquo", "ldquo")),
    (re.compile(rf"({_S}?)'(?={_D}{_D}s)"), (1, "rsquo")),
    (re.compile(rf"({_S})('|\")(?={_W})"), (1, "lquote2")),
    (re.compile(rf"({_CLOSE})('|\")"), (1, "rquote2")),
    (re.compile(rf"(\"|')(?={_S}|s\b|$)", re.M), ("rquote1",)),
    (re.compile(r"(.?)'", re.S), (1, "lsquo")),
    (re.compile(r"(.?)\"", re.S), (1, "ldquo")),
]
_QUOTES = {"ldquo": "\u201c", "rdquo": "\u201d", "lsquo": "\u2018", "rsquo": "\u2019"}
_SIDE = {("lquote", '"'): "ldquo", ("lquote", "'"): "lsquo", ("rquote", '"'): "rdquo", ("rquote", "'"): "rsquo"}
_SYMBOLS = {"---": "\u2014", "--": "\u2013", "...": "\u2026", "\\<<": "<<", "\\>>": ">>",
            "<< ": "\u00ab\u00a0", " >>": "\u00a0\u00bb", "<<": "\u00ab", ">>": "\u00bb"}
_QUOTE_START = re.compile(r"[^\\]?[\"']")
_SYMBOL_START = re.compile("|".join(re.escape(k) for k in _SYMBOLS))
# Where kramdown's span parser stops: a quote (with the character before it) or a symbol.
_SPAN_START = re.compile(rf"{_QUOTE_START.pattern}|--|\.\.\.|(?:\\| )?(?:<<|>>)")


def kramdown_typography(text: str, after: str = "") -> str:
    """`text` with kramdown's smart quotes and typographic symbols. `after` is the source that
    follows it (the markup of an emphasis, say): kramdown's rules look ahead into it."""
    if '"' not in text and "'" not in text and "--" not in text and "..." not in text \
            and "<<" not in text and ">>" not in text:
        return text
    source, end = text + after, len(text)
    out, pos = [], 0
    while pos < end:
        start = _SPAN_START.search(source, pos, end)
        if start is None:
            out.append(text[pos:])
            break
        out.append(text[pos:start.start()])
        pos = start.start()
        found = None
        if _QUOTE_START.match(source, pos):  # kramdown tries smart quotes before symbols
            # A rule takes quotes of this text only; it may look ahead past it.
            found = next(((m, subs) for rule, subs in _RULES if (m := rule.match(source, pos)) and m.end() <= end), None)
        if found is not None:
            out.extend(_substitute(*found))
            pos = found[0].end()
        elif (symbol := _SYMBOL_START.match(source, pos, end)) is not None:
            out.append(_SYMBOLS[symbol[0]])
            pos = symbol.end()
        else:
            out.append(text[pos])
            pos += 1
    return "".join(out)


def _substitute(found: re.Match[str], substitutions: tuple[int | str, ...]) -> list[str]:
    parts = []
    for subst in substitutions:
        if isinstance(subst, int):
            parts.append(found[subst])
        elif subst in _QUOTES:
            parts.append(_QUOTES[subst])
        else:  # lquote1/rquote2 …: the side, and the quote character of group 1 or 2
            parts.append(_QUOTES[_SIDE[(subst[:-1], found[int(subst[-1])])]])
    return parts
