"""Text renderer: for people; colour only when asked (a terminal), plain otherwise."""

from __future__ import annotations

import re

from koban.model import Finding, Location, Report, Severity, Verdict, WalletRef
from koban.render import render
from koban.render.text import render_text
from koban.scoring import finalise

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _mail() -> Report:
    link = Report(
        analyser="url",
        target="https://h0shi-exchange.jp/login",
        findings=[
            Finding(
                rule="url.lookalike",
                severity=Severity.HIGH,
                message="look-alike of hoshi-exchange.jp",
            )
        ],
    )
    member = Report(
        analyser="file",
        target="skills-test.zip!test.lnk",
        findings=[
            Finding(
                rule="file.lnk_lure",
                severity=Severity.CRITICAL,
                message="shortcut runs PowerShell",
                location=Location(path="skills-test.zip!test.lnk"),
            )
        ],
    )
    attachment = Report(analyser="file", target="skills-test.zip", children=[member])
    return finalise(
        Report(
            analyser="mail",
            target="inbox/採用のご案内.eml",
            findings=[
                Finding(
                    rule="mail.exec_display_name",
                    severity=Severity.MEDIUM,
                    message="display name 山田 太郎 from an outside address",
                    location=Location(path="inbox/採用のご案内.eml", line=4),
                )
            ],
            children=[attachment, link],
        )
    )


def _clean(target: str = "notes.txt") -> Report:
    return finalise(Report(analyser="file", target=target))


def test_plain_without_colour() -> None:
    text = render_text([_mail()], colour=False)
    assert "\x1b" not in text
    assert "MALICIOUS" in text
    assert "mail.exec_display_name" in text
    assert "山田 太郎" in text
    assert "[inbox/採用のご案内.eml:4]" in text
    assert text.endswith("\n")


def test_colour_uses_ansi_codes() -> None:
    text = render_text([_mail()], colour=True)
    assert ANSI.search(text)
    assert "\x1b[1;31mMALICIOUS\x1b[0m" in text
    assert "\x1b[0m" in text
    assert ANSI.sub("", text) == render_text([_mail()], colour=False)


def test_clean_is_green_when_coloured() -> None:
    assert "\x1b[32mCLEAN\x1b[0m" in render_text([_clean()], colour=True)


def test_children_indented() -> None:
    lines = render_text([_mail()], colour=False).splitlines()
    top = next(ln for ln in lines if ln.startswith("inbox/"))
    attachment = next(ln for ln in lines if "skills-test.zip " in ln)
    member = next(ln for ln in lines if ln.lstrip().startswith("skills-test.zip!test.lnk "))
    link = next(ln for ln in lines if ln.lstrip().startswith("https://h0shi-exchange.jp/login"))

    def indent(line: str) -> int:
        return len(line) - len(line.lstrip(" "))

    assert indent(top) == 0
    assert indent(attachment) == 2
    assert indent(member) == 4
    assert indent(link) == 2
    finding = next(ln for ln in lines if "file.lnk_lure" in ln)
    assert indent(finding) > indent(member)
    # Children come after their parent, in order.
    assert lines.index(top) < lines.index(attachment) < lines.index(member) < lines.index(link)


def test_report_line_has_verdict_score_and_analyser() -> None:
    first = render_text([_mail()]).splitlines()[0]
    assert first == "inbox/採用のご案内.eml  MALICIOUS  score 90  (mail)"


def test_wallet_line() -> None:
    report = finalise(
        Report(
            analyser="keys",
            target="backup/",
            findings=[
                Finding(
                    rule="keys.eth_private_key",
                    kind="eth_private_key",
                    severity=Severity.CRITICAL,
                    message="Ethereum private key 0x4c08…f5b2",
                    wallet=WalletRef(label="hot wallet 1", address="0xabc", chain="ethereum"),
                )
            ],
        )
    )
    assert "controls hot wallet 1 (ethereum 0xabc)" in render_text([report])


def test_commit_shortened() -> None:
    report = finalise(
        Report(
            analyser="keys",
            target="repo",
            findings=[
                Finding(
                    rule="keys.pem_private_key",
                    severity=Severity.HIGH,
                    message="PEM private key",
                    location=Location(path="deploy/id_rsa", line=1, commit="a" * 40),
                )
            ],
        )
    )
    assert "[deploy/id_rsa:1, commit aaaaaaaaaaaa]" in render_text([report])


def test_summary_for_several_reports() -> None:
    reports = [_mail(), _clean("a.txt"), _clean("b.txt")]
    text = render_text(reports, colour=False)
    assert text.splitlines()[-1] == "3 inputs: 1 malicious, 0 suspicious, 2 clean"


def test_no_summary_for_one_report() -> None:
    text = render_text([_clean()])
    assert "inputs:" not in text
    assert text == "notes.txt  CLEAN  score 0  (file)\n"


def test_nothing_to_render() -> None:
    assert render_text([]) == ""


def test_render_dispatch() -> None:
    assert render("text", [_clean()]) == render_text([_clean()])
    assert "\x1b" in render("text", [_clean()], colour=True)
    assert Verdict.CLEAN.value.upper() in render("text", [_clean()])


def _not_analysed(target: str) -> Report:
    return finalise(
        Report(
            analyser="file",
            target=target,
            findings=[
                Finding(
                    rule="scan.analyser_unavailable",
                    severity=Severity.INFO,
                    message=f"the file analyser is not available in this version: {target}",
                )
            ],
        )
    )


def test_not_analysed_is_not_called_clean() -> None:
    text = render_text([_not_analysed("setup.exe")])
    assert text.splitlines()[0] == "setup.exe  NOT ANALYSED  score 0  (file)"
    assert "CLEAN" not in text


def test_summary_counts_not_analysed_apart() -> None:
    reports = [_mail(), _clean("a.txt"), _not_analysed("b.exe")]
    text = render_text(reports, colour=False)
    assert text.splitlines()[-1] == "3 inputs: 1 malicious, 0 suspicious, 1 clean, 1 not analysed"
