"""Reading the reviewable data files in `data/` into the plain structures the pipeline takes.

Every problem names the file, the line and the field, so an analyst editing a lexicon sees what to fix.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from crossingwatch.core.errors import ConfigError
from crossingwatch.detect.indicators import Place
from crossingwatch.detect.lexicon import Term
from crossingwatch.detect.pipeline import Resources

COUNTRY_CODES = {
    "united kingdom": "GB", "uk": "GB", "england": "GB", "britain": "GB", "great britain": "GB", "france": "FR",
    "belgium": "BE", "netherlands": "NL", "germany": "DE", "italy": "IT", "greece": "GR", "turkey": "TR",
    "türkiye": "TR", "libya": "LY", "tunisia": "TN", "algeria": "DZ", "morocco": "MA", "spain": "ES",
    "mexico": "MX", "united states": "US", "usa": "US", "us": "US", "iran": "IR", "iraq": "IQ",
    "afghanistan": "AF", "pakistan": "PK", "serbia": "RS", "bosnia": "BA", "bosnia and herzegovina": "BA",
    "croatia": "HR", "hungary": "HU", "sudan": "SD", "niger": "NE", "somalia": "SO", "djibouti": "DJ",
    "egypt": "EG", "mauritania": "MR", "western sahara": "EH", "senegal": "SN", "albania": "AL",
    "vietnam": "VN", "ethiopia": "ET", "eritrea": "ER", "north macedonia": "MK", "bulgaria": "BG",
    "cyprus": "CY", "syria": "SY", "lebanon": "LB", "guatemala": "GT", "canada": "CA", "malta": "MT",
}


def _rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    lines = [ln for ln in text.splitlines()]
    reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    header: list[str] | None = None
    out: list[tuple[int, dict[str, str]]] = []
    for number, row in enumerate(reader, start=1):
        if not row or not "".join(row).strip() or row[0].startswith("#"):
            continue
        if header is None:
            header = [h.strip() for h in row]
            missing = [c for c in required if c not in header]
            if missing:
                raise ConfigError(f"{path}:{number}: header lacks column(s) {missing}; expected {list(required)}")
            continue
        out.append((number, {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}))
    return out


def load_terms(lexicon_dir: Path) -> list[Term]:
    terms: list[Term] = []
    for path in sorted(lexicon_dir.glob("*.tsv")):
        for number, row in _rows(path, ("pattern", "tactic", "weight")):
            where = f"{path}:{number}"
            if not row["pattern"]:
                raise ConfigError(f"{where}: field 'pattern' is empty")
            try:
                weight = float(row["weight"])
            except ValueError:
                raise ConfigError(f"{where}: field 'weight': {row['weight']!r} is not a number") from None
            terms.append(Term(row["pattern"], row["tactic"], weight, row.get("note", ""), path.stem, where))
    return terms


def load_places(path: Path) -> list[tuple[str, Place]]:
    if not path.is_file():
        return []
    places: list[tuple[str, Place]] = []
    for number, row in _rows(path, ("name", "alias", "country", "role")):
        country = row["country"].strip()
        code = country.upper() if len(country) == 2 else COUNTRY_CODES.get(country.casefold(), "")
        if not row["alias"] or not row["name"]:
            raise ConfigError(f"{path}:{number}: fields 'name' and 'alias' must not be empty")
        places.append((row["alias"], Place(row["name"], code, row["role"] or "destination", row.get("route", ""))))
    return places


def load_mapping(path: Path, key: str, value: str) -> dict[str, str]:
    return {row[key]: row[value] for _, row in _rows(path, (key, value)) if row[key]}


def load_resources(data_dir: Path) -> Resources:
    if not (data_dir / "lexicons").is_dir():
        raise ConfigError(f"data_dir {data_dir}: no lexicons/ folder; set CROSSINGWATCH_DATA_DIR to the data folder")
    norm_dir = data_dir / "normalise"
    multipliers: dict[str, float] = {}
    for number, row in _rows(norm_dir / "multipliers.tsv", ("term", "factor")):
        try:
            multipliers[row["term"]] = float(row["factor"])
        except ValueError:
            raise ConfigError(f"{norm_dir / 'multipliers.tsv'}:{number}: field 'factor' is not a number") from None
    files = sorted([*data_dir.glob("lexicons/*.tsv"), *data_dir.glob("normalise/*.tsv"),
                    *data_dir.glob("gazetteer/*.tsv")])
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return Resources(
        emoji=load_mapping(norm_dir / "emoji.tsv", "emoji", "meaning"),
        terms=load_terms(data_dir / "lexicons"),
        currencies=load_mapping(norm_dir / "currencies.tsv", "term", "currency"),
        multipliers=multipliers,
        places=load_places(data_dir / "gazetteer" / "places.tsv"),
        from_words=[row["term"] for _, row in _rows(norm_dir / "from_words.tsv", ("term",))]
        if (norm_dir / "from_words.tsv").is_file() else [],
        version=digest.hexdigest()[:12],
    )
