"""Undo the PDF-extraction artifacts of the source texts without losing or inventing a word.

The texts were extracted from PDFs of adilet.zan.kz pages. Four artifacts matter:

* wrapped lines and page breaks (blank lines) — lines are joined, page breaks dropped;
* words hyphenated across a line break — joined, keeping the hyphen where Kazakh writes one
  ("2-" + "тармағының", "іс-" + "әрекет");
* displaced link text — every hyperlinked reference ("14-бабының", "№ 2", "1) тармақшасы") was cut out
  of its line and appended to the line's end, leaving a double space (or a space before punctuation)
  where it stood.  We parse the line's tail into exactly as many reference fragments as the line has
  gaps and put them back in order; when the tail does not parse into that many fragments the raw
  order is kept and the place is counted as left raw — a wrong guess would misquote the law;
* spaces doubled by typesetting — collapsed.

A "certain" repair is only ever a reordering of the line's own words, so the quoted text is a
permutation of the raw words (checked for every passage in the tests).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

# A bare number, a resolution number or a sub-point: "12", "7/2", "19-2", "2)".
_NUM = re.compile(r"^\d+(?:[/-]\d+)*\)?$")
# A complete reference: "14-бабының", "406-1-бабының", "477-баптарында", "1-бөлігі".
_REF = re.compile(r"^\d+(?:-\d+)*-[^\W\d_]+$")
# An incomplete reference cut by a line break: "484-".
_REF_OPEN = re.compile(r"^\d+(?:-\d+)*-$")
_NUMBER_SIGN = {"№", "N"}
_WORD = re.compile(r"^[^\W\d_]+$")
_CAPITALISED = re.compile(r"^[А-ЯЁӘҒҚҢӨҰҮҺІ][а-яёәғқңөұүһі]+$")
# Link text glued to the end of the line: "танылсын.нормативтік", ");851-бабы", "(алғашқы№".
_GLUE_PUNCT = re.compile(r"^(.*?[.;:,)(])([^\W_]\S*|№\S*)$")
_GLUE_SIGN = re.compile(r"^(.*?[^\s№])(№\S*)$")
# Where link text was cut out: a run of spaces, or a space left before closing punctuation.
_GAP = re.compile(r" {2,}| (?=[,;:)])")
_INDENT = re.compile(r"^ {3,}\S")


@dataclass(frozen=True)
class Placement:
    """One displaced fragment and the place it went back to, for a curator to review."""

    fragment: str
    after: str  # the words before the place ("" at the start of the line)
    before: str  # the words after it


@dataclass(frozen=True)
class RepairDecision:
    """What was done with one raw line's displaced link text, and why (`cassbot docs --repairs DOC`)."""

    raw: str  # the raw line as it stands in the text file
    placements: tuple[Placement, ...]
    reason: str
    review: bool = False  # two or more fragments, or another reading was possible: a person should check
    alternative: str = ""  # the other reading, when there was one


@dataclass
class RepairStats:
    """What the repair did, so a resolution report can say how much was fixed and how much left raw."""

    fragments_moved: int = 0
    lines_left_raw: int = 0
    hyphen_joins: int = 0
    dehyphenated: int = 0
    decisions: list[RepairDecision] = field(default_factory=list)  # for the curator's report


@dataclass
class _Line:
    text: str  # without indentation and trailing spaces
    indented: bool  # starts a new sub-paragraph
    leading_gap: bool  # link text was cut from its very start (after a page break)
    raw: str = ""  # the line as it stands in the file, for the repair report
    split_link: bool = False  # its last link went on past the break (rejoined on the next line)


def split_sentences(text: str) -> list[str]:
    """Split at sentence ends, sparing initials, abbreviations and dotted dates ("2008.12.22. N 8")."""
    out: list[str] = []
    start = 0
    for m in re.finditer(r"[.!?…]+[»\")]?\s+(?=[«\"(]?[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ0-9])", text):
        before = text[start : m.start()]
        last = re.split(r"[\s(]", before)[-1] if before else ""
        if re.fullmatch(r"[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ]|[A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]{1,2}\.?[A-ZА-Яа-я]?|\d+(\.\d+)*", last):
            continue
        if re.search(r"(\b(ж|жж|б|т\.б|бб|С|Т|обл|г|гг|ст|п|пп|см|т)|[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ]\.[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ])$", before):
            continue
        end = m.end()
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
        start = end
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def _split_glue(token: str) -> tuple[str, str] | None:
    """Split a token where link text was glued onto the line's last character, if it was."""
    m = _GLUE_PUNCT.match(token)
    if m:
        head, rest = m.groups()
        # An opening bracket before a word is just a bracket; a reference glues to it: "(16-бабының".
        # "2008.12.22." is a date, not glue.
        bracket = head.endswith("(") and not re.match(r"[\d№]", rest)
        dotted_number = head[-1] in ".," and head[:-1][-1:].isdigit() and rest[:1].isdigit()
        if not bracket and not dotted_number:
            return head, rest
    m = _GLUE_SIGN.match(token)
    return (m.group(1), m.group(2)) if m else None


class LinkRepairer:
    """Puts displaced link text back where it was cut from (see the module docstring)."""

    def __init__(self, vocabulary: Counter[str]) -> None:
        # Word counts over the corpus: lets us split "Конституциялықзаңының", glued at a line end, into
        # two words seen elsewhere, when the glued form itself occurs nowhere else.
        self.vocabulary = vocabulary

    def _split_by_vocabulary(self, token: str) -> tuple[str, str] | None:
        low = token.lower()
        if self.vocabulary[low] > 1:
            return None
        splits = [
            (token[:i], token[i:])
            for i in range(4, len(token) - 3)
            if self.vocabulary[low[:i]] and self.vocabulary[low[i:]]
        ]
        return splits[0] if len(splits) == 1 else None

    def _parse_fragments(self, tokens: list[str], k: int, glued: bool, prev_open: bool) -> tuple[list[str], str] | None:
        """Split the displaced tail into exactly k fragments, right to left, or None if unsure.

        Returns the fragments in their order of appearance and, when the token before them looks like
        link text too, that token: another reading was possible, so a person should review the line."""
        frags: list[str] = []
        i = len(tokens)
        while i > 0 and len(frags) < k:
            tok = tokens[i - 1]
            if _REF.match(tok) or _NUM.match(tok):
                frag = [tok]
                i -= 1
            elif _WORD.match(tok) and i >= 2 and _NUM.match(tokens[i - 2]):
                frag = [tokens[i - 2], tok]
                i -= 2
            else:
                break
            if i > 0 and tokens[i - 1] in _NUMBER_SIGN and _NUM.match(frag[0]):
                frag.insert(0, tokens[i - 1])
                i -= 1
            frags.insert(0, " ".join(frag))
        if len(frags) == k and (i == 0 or not glued):
            before = tokens[i - 1] if i > 0 else ""
            other = before if before and (_REF.match(before) or _NUM.match(before) or _REF_OPEN.match(before)) else ""
            return frags, other
        if k == 1 and not frags:
            words = tokens
            if glued and all(_WORD.match(w) for w in words) and len(words) <= 3:
                return [" ".join(words)], ""
            if not glued and len(tokens) >= 1:
                last = tokens[-1]
                if prev_open and _WORD.match(last):
                    return [last], ""
                if _CAPITALISED.match(last):
                    return [last], ""
        return None

    def repair_line(self, line: _Line, prev_open: bool, stats: RepairStats) -> str:
        body = line.text
        gaps = [(m.start(), m.end()) for m in _GAP.finditer(body)]
        if line.leading_gap:
            gaps.insert(0, (0, 0))
        if not gaps:
            return body
        k = len(gaps)
        tail_start = gaps[-1][1]
        tail = body[tail_start:]
        tokens = tail.split()
        if not tokens:
            return _collapse(body)
        # Find where the appended link text begins: a glue point in the tail, or a vocabulary split.
        glued = False
        how = f"the line's tail parses into exactly {k} link fragment(s), put back in their order of appearance"
        prefix_tokens = tokens
        disp_tokens: list[str] = []
        for j in range(len(tokens) - 1, -1, -1):
            g = _split_glue(tokens[j])
            if g:
                glued = True
                how = f"link text glued to the line's last character after {g[0][-1]!r}"
                prefix_tokens = [*tokens[:j], g[0]]
                disp_tokens = [g[1], *tokens[j + 1 :]]
                break
        if not glued:
            v = self._split_by_vocabulary(tokens[-1])
            if v and k == 1:
                glued = True
                how = f"glued word {tokens[-1]!r} split into two words the corpus knows"
                prefix_tokens = [*tokens[:-1], v[0]]
                disp_tokens = [v[1]]
        if glued:
            parsed = self._parse_fragments(disp_tokens, k, True, prev_open)
            rest_tail = " ".join(prefix_tokens)
        else:
            parsed = self._parse_fragments(tokens, k, False, prev_open)
            if parsed is not None:
                used = sum(len(f.split()) for f in parsed[0])
                rest_tail = " ".join(tokens[: len(tokens) - used])
        if parsed is None:
            if _looks_displaced(tokens):
                stats.lines_left_raw += 1
                stats.decisions.append(RepairDecision(line.raw or body, (), "left raw: the tail does not parse "
                                                      f"into {k} fragment(s) for {k} gap(s)", review=True))
            return _collapse(body)
        frags, other = parsed
        if line.leading_gap and len(frags[0].split()) == 1 and not (_REF.match(frags[0]) or _NUM.match(frags[0])):
            how = "after a page break, the word cut from the line's start (the previous line ends in an open reference)"
        rest = body[:tail_start] + rest_tail
        out: list[str] = []
        placements: list[Placement] = []
        pos = 0
        for (start, end), frag in zip(gaps, frags, strict=True):
            out.append(rest[pos:start].rstrip(" "))
            nxt = rest[end:end + 1] if end < len(rest) else ""
            sep_after = "" if (nxt in ",;:)" and nxt) or end >= len(rest) else " "
            lead = " " if start > 0 else ""
            out.append(f"{lead}{frag}{sep_after}")
            placements.append(Placement(frag, " ".join(rest[:start].split()[-2:]), " ".join(rest[end:].split()[:2])))
            pos = end
        out.append(rest[pos:])
        stats.fragments_moved += k
        alternative = f"«{other}» before the fragments looks like link text too" if other else ""
        stats.decisions.append(RepairDecision(line.raw or body, tuple(placements), how,
                                              review=k >= 2 or bool(alternative) or line.split_link,
                                              alternative=alternative))
        return _collapse("".join(out)).strip()


def _words_after(text: str, at: int) -> str:
    return " ".join(text[at:].split()[:2])


def _looks_displaced(tokens: list[str]) -> bool:
    last = tokens[-1]
    return bool(_REF.match(last) or _NUM.match(last) or _REF_OPEN.match(last) or _split_glue(last))


def _collapse(s: str) -> str:
    return re.sub(r" {2,}", " ", s).strip()


def to_lines(raw_lines: list[str]) -> list[_Line]:
    """Raw lines → logical lines; a line after a page break that starts with a space or with closing
    punctuation had link text cut from its start."""
    out: list[_Line] = []
    after_break = False
    for raw in raw_lines:
        if not raw.strip():
            after_break = bool(out)
            continue
        indented = bool(_INDENT.match(raw))
        stripped = raw.rstrip()
        leading_gap = after_break and not indented and (stripped[:1] == " " or stripped.lstrip()[:1] in ",;:)")
        out.append(_Line(stripped.strip(), indented, leading_gap, raw))
        after_break = False
    return out


def join_lines(lines: list[str], starts: list[bool], lang: str, stats: RepairStats) -> str:
    """Join wrapped lines into text; sub-paragraphs (indented starts) are separated by a newline."""
    text = ""
    for line, new_para in zip(lines, starts, strict=True):
        if not text:
            text = line
            continue
        if new_para:
            text += "\n" + line
            continue
        # Only the end of the text matters below; looking at a bounded tail keeps joining linear.
        tail = text[-200:]
        prev_word = re.split(r"\s", tail)[-1]
        if re.search(r"\d-$", tail) or (text.endswith("-") and line[:1].isupper()):
            text += line
            stats.hyphen_joins += 1
        elif re.search(r"[^\W\d_]-$", tail) and line[:1].isalpha():
            # Russian breaks words anywhere ("высокообразо-" + "ванные", "политико-право-" + "вые"); only a
            # compound's first stem ("политико-" + "правовом") keeps its hyphen.  Kazakh keeps every hyphen.
            if lang == "ru" and not prev_word[:-1].split("-")[-1].endswith("ико"):
                text = text[:-1] + line
                stats.dehyphenated += 1
            else:
                text += line
                stats.hyphen_joins += 1
        elif re.search(r"\d$", tail) and re.match(r"-[^\W\d_]", line):
            text += line
            stats.hyphen_joins += 1
        elif re.search(r"(^|[\s(])[\"«(]$", tail) or line[:1] in ",;:.)»" or (line[:1] == '"' and _closes(text)):
            text += line
        else:
            text += " " + line
    return text


def _closes(text: str) -> bool:
    """A quote at the start of a continuation line closes an open quote in the current sub-paragraph."""
    last_para = text.rsplit("\n", 1)[-1]
    return last_para.count('"') % 2 == 1


def repair_block(raw_lines: list[str], lang: str, displaced_links: bool, repairer: LinkRepairer,
                 stats: RepairStats) -> str:
    """Repair one paragraph's raw lines into its faithful text."""
    lines = to_lines(raw_lines)
    # A reference split by a line or page break: "ҚПК-нің  … ҚПК-нің 486-бабының 484-" + " … бабының".  The
    # extraction appended each line's link text in its order of appearance, so the open "484-" came last: it
    # is the start of a link that goes on past the break, and the next line's last word ("бабының") is its
    # end, cut from that line's start.  Rejoined first, the whole link "484-бабының" opens the next line,
    # and this line keeps only the fragments of its own gaps ("486-бабының").
    rejoined: list[tuple[int, str, str, str]] = []  # (line, link, its two halves) for the report, once repaired
    for i in range(len(lines) - 1):
        cur, nxt = lines[i], lines[i + 1]
        last = cur.text.split()[-1] if cur.text.split() else ""
        nxt_last = nxt.text.split()[-1] if nxt.text.split() else ""
        if displaced_links and _REF_OPEN.match(last) and nxt.leading_gap and _WORD.match(nxt_last) \
                and nxt_last[:1].islower() and len(_GAP.findall(nxt.text)) == 0:
            cur.text = cur.text[: -len(last)].rstrip()
            cur.split_link = True
            rest = nxt.text[: -len(nxt_last)].strip()
            nxt.text = f"{last}{nxt_last} {rest}"
            nxt.leading_gap = False
            stats.fragments_moved += 1
            rejoined.append((i, last, nxt_last, rest))
    texts: list[str] = []
    for i, line in enumerate(lines):
        prev_last = texts[-1].split()[-1] if i > 0 and texts[-1].split() else ""
        # The line before ends in an open reference ("484-") or, across a page break, in a bare number whose
        # noun was a link ("1)" … " бойынша … тармағы" → "1) тармағы бойынша"): the line's last word goes there.
        prev_open = bool(_REF_OPEN.search(prev_last)) or (line.leading_gap and bool(_NUM.match(prev_last)))
        if displaced_links:
            texts.append(repairer.repair_line(line, prev_open, stats))
        else:
            texts.append(_collapse(line.text))
    for i, first, second, rest in rejoined:
        stats.decisions.append(RepairDecision(
            f"{lines[i].raw}\n{lines[i + 1].raw}",
            (Placement(f"{first}{second}", " ".join(texts[i].split()[-2:]), " ".join(rest.split()[:2])),),
            f"a link split across the break: {first!r} (last of its line's appended link text) + {second!r} "
            "(cut from the next line's start) rejoined at the break", review=True))
    return join_lines(texts, [ln.indented for ln in lines], lang, stats)


# Amendment notes cite the amending resolution as "DATE № N (in force from …)". The act number is a hyperlink,
# so the extraction moved it like any other link text, but there is no double-space gap to show where from:
# "22.12.2022 (№ 10 алғашқы ресми …" / "22.12.2022 (…) № 10 нормативтік қаулысымен" / "29.05.2025 № 10 № 2 (".
# The date left without its number is the spot. Only when that is unambiguous (one bare date, one number out of
# place) is the number moved back; the words stay the same, only the number's position changes.
_BARE_DATE = re.compile(r"\b\d{2}\.\d{2}\.\d{4}(?= \()")
_ACT_NUMBER = re.compile(r"(?:№|N) \d+")
_DATE_BEFORE = re.compile(r"(?:\d{2}\.\d{2}\.\d{4}|\d{4}\.\d{2}\.\d{2}\.) $")
_DATE_NUMBER_BEFORE = re.compile(r"(?:\d{2}\.\d{2}\.\d{4}|\d{4}\.\d{2}\.\d{2}\.) (?:№|N) \d+ $")


def _in_place(text: str, number: re.Match[str]) -> bool:
    """Right after its date; in "DATE № 10 № 2" the second number is the date's, the first one was moved there."""
    before, after = text[: number.start()], text[number.end():]
    return bool(_DATE_NUMBER_BEFORE.search(before)) or (bool(_DATE_BEFORE.search(before))
                                                         and not _ACT_NUMBER.match(after[1:]))


def restore_act_number(text: str, stats: RepairStats) -> str:
    """Put a displaced "№ N" of an amending resolution back after the date it belongs to (see above)."""
    original = text
    bare = list(_BARE_DATE.finditer(text))
    stray = [m for m in _ACT_NUMBER.finditer(text) if not _in_place(text, m)]
    if len(bare) != 1 or len(stray) != 1:
        return text
    date, number = bare[0], stray[0]
    start, end = number.start(), number.end()
    if text[end:end + 1] == " ":
        end += 1  # take the number with the space after it...
    elif text[start - 1:start] == " ":
        start -= 1  # ...or, at the end of a clause, with the space before it
    text = text[:start] + text[end:]
    at = date.end() if date.end() <= start else date.end() - (end - start)
    stats.fragments_moved += 1
    fixed = f"{text[:at]} {number.group(0)}{text[at:]}"
    stats.decisions.append(RepairDecision(
        original, (Placement(number.group(0), date.group(0), _words_after(fixed, at + len(number.group(0)) + 1)),),
        "an amending act's number left its date (no gap marks the spot): one bare date, one number out of place",
        review=True))
    return fixed

