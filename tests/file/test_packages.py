"""Install-time code in npm/PyPI packages and coding-test folders; ordinary packages stay clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from koban.file import report_for
from koban.file.context import FileContext
from koban.file.examples import packages as build
from koban.file.identify import identify
from koban.file.inspectors.packages import INSPECTOR, python_signals
from koban.file.item import FileItem
from koban.model import Finding, Severity, Verdict


def _findings(data: bytes, name: str) -> dict[str, Finding]:
    true_type, _ = identify(name, data)
    item = FileItem(path=name, name=name, data=data, true_type=true_type)
    assert INSPECTOR.applies(item)
    return {f.rule: f for f in INSPECTOR.inspect(item, FileContext())}


@pytest.mark.parametrize(
    ("builder", "name", "rule", "severity"),
    [
        ("npm_postinstall_loader", "a.tgz", "file.package_install_script", Severity.HIGH),
        ("npm_postinstall_curl", "a.tgz", "file.package_hook_download", Severity.CRITICAL),
        ("coding_test_zip", "repo.zip", "file.package_hidden_script", Severity.HIGH),
        ("sdist_download", "a.tar.gz", "file.package_setup_code", Severity.HIGH),
        ("wheel_pth", "a.whl", "file.package_pth_code", Severity.CRITICAL),
        ("local_backend_sdist", "a.tar.gz", "file.package_local_build_backend", Severity.HIGH),
    ],
)
def test_install_time_attacks(builder: str, name: str, rule: str, severity: Severity) -> None:
    found = _findings(getattr(build, builder)(), name)
    assert found[rule].severity is severity


@pytest.mark.parametrize(
    ("builder", "name"), [("npm_build_scripts", "a.tgz"), ("sdist_plain", "a.tar.gz")]
)
def test_ordinary_packages_only_show_their_hooks(builder: str, name: str) -> None:
    found = _findings(getattr(build, builder)(), name)
    assert all(f.severity is Severity.INFO for f in found.values())


def test_coding_test_folder_on_disk(tmp_path: Path) -> None:
    for rel, content in build.coding_test_repo_files().items():
        path = tmp_path / "repo" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    report = report_for(str(tmp_path / "repo"), FileContext())
    rules = {f.rule for r in report.walk() for f in r.findings}
    assert {"file.package_hidden_script", "file.package_install_script"} <= rules
    assert report.verdict is Verdict.MALICIOUS


def test_package_json_with_build_script_folder_is_clean(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        build.package_json({"build": "webpack --mode production", "test": "jest"}),
        encoding="utf-8",
    )
    report = report_for(str(tmp_path), FileContext())
    assert report.verdict is Verdict.CLEAN
    assert not [f for r in report.walk() for f in r.findings if f.rule.startswith("file.package")]


def test_hook_script_outside_the_package_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "secret.js").write_text(build.LOADER_JS, encoding="utf-8")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "package.json").write_text(build.package_json({"postinstall": "node ../secret.js"}))
    item = FileItem(
        path="package.json",
        name="package.json",
        data=(pkg / "package.json").read_bytes(),
        true_type="json",
        fs_path=pkg / "package.json",
    )
    rules = {f.rule for f in INSPECTOR.inspect(item, FileContext())}
    assert rules == {"file.package_install_hook"}


def test_python_signals() -> None:
    assert python_signals("exec(base64.b64decode(x))").exec_decoded
    assert not python_signals("exec(open('version.py').read())").exec_decoded
    plain = python_signals("subprocess.check_output(['git', 'describe'])")
    assert plain.severity() is Severity.LOW


def test_unrelated_zip_does_not_apply() -> None:
    data = build._zip({"docs/readme.txt": "hello"})
    item = FileItem(path="a.zip", name="a.zip", data=data, true_type="zip")
    assert not INSPECTOR.applies(item)


def test_damaged_package_is_reported() -> None:
    assert "file.package_unreadable" in _findings(build.truncated_tarball(), "a.tar")
