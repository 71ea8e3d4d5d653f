"""``koban mail scan``: formats, exit codes, errors on stderr, mbox, Maildir, folders, .msg."""

from __future__ import annotations

import json
import mailbox
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from koban.cli import cli


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _docs(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_scan_json_exit_codes(env: Path, fixtures: Path) -> None:
    prof = str(fixtures / "koban.toml")
    bad = str(fixtures / "exec_freemail_en.eml")
    good = str(fixtures / "clean_internal.eml")
    result = _run("--profile", prof, "mail", "scan", "--format", "json", good)
    assert result.exit_code == 0, result.output
    (doc,) = _docs(result)
    assert doc["target"] == good
    assert doc["verdict"] == "clean"
    result = _run("--profile", prof, "mail", "scan", "--format", "json", good, bad)
    assert result.exit_code == 1
    docs = _docs(result)
    assert [d["target"] for d in docs] == [good, bad]
    assert docs[1]["verdict"] == "malicious"
    assert result.stderr == ""
    result = _run("--profile", prof, "mail", "scan", "--fail-on", "never", bad)
    assert result.exit_code == 0
    assert "mail.exec_display_name" in result.stdout


def test_bad_inputs_exit_2_others_processed(env: Path, fixtures: Path) -> None:
    (env / "empty.eml").write_bytes(b"")
    (env / "fake.msg").write_bytes(b"not an outlook file")
    (env / "photo.eml").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    good = str(fixtures / "clean_internal.eml")
    result = _run(
        "mail", "scan", "--format", "json", "missing.eml", "empty.eml", "fake.msg", "photo.eml",
        good,
    )  # fmt: skip
    assert result.exit_code == 2
    assert [d["target"] for d in _docs(result)] == [good]
    for name in ("missing.eml", "empty.eml", "fake.msg", "photo.eml"):
        assert name in result.stderr
    assert "no such file" in result.stderr
    assert "no profile" in result.stderr  # said once


def test_mbox_and_maildir(env: Path, fixtures: Path) -> None:
    box = mailbox.mbox(str(env / "inbox.mbox"))
    for name in ("clean_internal.eml", "exec_freemail_en.eml", "clean_partner.eml"):
        box.add((fixtures / name).read_bytes())
    box.close()
    md = mailbox.Maildir(str(env / "Maildir"))
    md.add((fixtures / "lookalike_domain.eml").read_bytes())
    md.add((fixtures / "clean_newsletter.eml").read_bytes())
    md.close()
    prof = str(fixtures / "koban.toml")
    result = _run("--profile", prof, "mail", "scan", "--format", "json", "inbox.mbox", "Maildir")
    assert result.exit_code == 1, result.output
    mbox_doc, maildir_doc = _docs(result)
    assert mbox_doc["target"] == "inbox.mbox"
    assert [c["target"] for c in mbox_doc["children"]] == [f"inbox.mbox!{n}" for n in (1, 2, 3)]
    assert [c["verdict"] for c in mbox_doc["children"]] == ["clean", "malicious", "clean"]
    assert mbox_doc["verdict"] == "malicious"
    assert maildir_doc["target"] == "Maildir"
    assert len(maildir_doc["children"]) == 2
    assert all(c["target"].startswith("Maildir/") for c in maildir_doc["children"])


def test_folder_with_a_bad_file(env: Path, fixtures: Path) -> None:
    folder = env / "inbox"
    folder.mkdir()
    shutil.copy(fixtures / "clean_internal.eml", folder / "a.eml")
    (folder / "b.eml").write_bytes(b"")
    (folder / "notes.bin").write_bytes(b"\x00\x01binary")
    result = _run("mail", "scan", "--format", "json", "inbox")
    assert result.exit_code == 2
    (doc,) = _docs(result)
    assert [c["target"] for c in doc["children"]] == [
        str(folder / "a.eml").replace(str(env) + "/", "")
    ]
    assert "b.eml" in result.stderr
    assert any("b.eml" in f["message"] for f in doc["findings"])


def test_text_output_explains(env: Path, fixtures: Path) -> None:
    result = _run(
        "--profile", str(fixtures / "koban.toml"), "mail", "scan",
        str(fixtures / "own_domain_spoof.eml"),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "MALICIOUS" in result.stdout
    assert "dmarc=fail" in result.stdout
    assert "\r[" not in result.stderr  # no progress when stderr is not a terminal


def test_scan_dispatches_to_mail(env: Path, fixtures: Path) -> None:
    result = _run(
        "--profile", str(fixtures / "koban.toml"), "scan", "--format", "json",
        str(fixtures / "idn_domain.eml"),
    )  # fmt: skip
    (doc,) = _docs(result)
    assert doc["analyser"] == "mail"
    assert doc["verdict"] == "malicious"
