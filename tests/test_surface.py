"""The public surface: exports, documented hooks and settings, plugins registered like anyone's."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import crossingwatch
import crossingwatch.core
import crossingwatch.testing
from crossingwatch.core.errors import ConfigError
from crossingwatch.plugins import get_plugin_manager, hookimpl, hookspecs
from crossingwatch.settings import REGISTRY, load_settings


@pytest.mark.parametrize("module", [crossingwatch, crossingwatch.core, crossingwatch.testing])
def test_all_is_complete(module) -> None:  # type: ignore[no-untyped-def]
    package = hasattr(module, "__path__")
    public = {n for n, v in vars(module).items() if not n.startswith("_") and not inspect.ismodule(v)
              and (getattr(v, "__module__", module.__name__).startswith(module.__name__) if package
                   else getattr(v, "__module__", "") == module.__name__)}
    public -= {"annotations"}
    assert public <= set(module.__all__), f"not in __all__: {public - set(module.__all__)}"


def test_every_hook_is_documented_in_one_line() -> None:
    specs = [f for n, f in vars(hookspecs).items() if callable(f) and hasattr(f, "crossingwatch_spec")]
    assert {f.__name__ for f in specs} >= {"register_detectors", "register_sources", "track_event"}
    for f in specs:
        assert f.__doc__ and len(f.__doc__.strip().splitlines()) == 1, f"{f.__name__} needs a one-line docstring"


def test_every_setting_is_documented_and_in_the_readme() -> None:
    readme = (Path(crossingwatch.__file__).parents[2] / "README.md").read_text("utf-8")
    assert "CROSSINGWATCH_<NAME>" in readme
    for s in REGISTRY:
        assert s.help.endswith("."), f"setting {s.name} needs a help sentence"


def test_settings_layers(tmp_path: Path) -> None:
    cfg = tmp_path / "cw.toml"
    cfg.write_text('db = "from-file.db"\nbatch_size = 50\n', "utf-8")
    s = load_settings(environ={"CROSSINGWATCH_BATCH_SIZE": "7"}, config_file=cfg)
    assert (s.db, s.batch_size) == ("from-file.db", 7)
    with pytest.raises(ConfigError, match="CROSSINGWATCH_BATCH_SIZE"):
        load_settings(environ={"CROSSINGWATCH_BATCH_SIZE": "many"})
    cfg.write_text('colour = "red"\n', "utf-8")
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load_settings(environ={}, config_file=cfg)


def test_builtins_come_through_the_plugin_manager_and_a_third_party_can_add_a_detector() -> None:
    from crossingwatch.plugins.builtin_detectors import DetectorFactory

    class Plugin:
        @hookimpl
        def register_detectors(self):  # type: ignore[no-untyped-def]
            return [DetectorFactory("mine", lambda rt: None)]

    pm = get_plugin_manager((Plugin(),), load_entry_points=False)
    names = {f.name for group in pm.hook.register_detectors() for f in group}
    assert names == {"text", "mine"}
    readers = {r.name for group in pm.hook.register_sources() for r in group}
    assert readers == {"jsonl", "csv", "telegram"}


def test_ruff_finds_nothing() -> None:
    import subprocess
    import sys

    root = Path(crossingwatch.__file__).parents[2]
    ruff = Path(sys.executable).parent / "ruff"
    if not ruff.exists():
        pytest.skip("ruff is not installed (it comes with the [test] extra)")
    result = subprocess.run([str(ruff), "check", "src", "tests", "benchmarks", "scripts"], cwd=root,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
