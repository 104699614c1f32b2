"""`make vendor`: fetch the front-end libraries (and the tests' axe-core) from npm into web/static/vendor.

The files are committed, so `make run` needs only Python; this refreshes them. Each package is named with
its exact version and the registry's sha512 integrity, checked before anything is unpacked; only the
minified files and the licence are kept, under web/static/vendor/<package>/ (VERSION says which release).
To update a library, change its version and integrity here (`npm view NAME@VERSION dist.integrity`).

    python -m web.vendoring          # or: make vendor
"""
from __future__ import annotations

import base64
import hashlib
import io
import shutil
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
TARGET = Path(__file__).with_name("static") / "vendor"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # "sha512-..." as the registry gives it
    files: tuple[str, ...]  # paths inside the tarball's package/ folder

    @property
    def tarball(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.name.split('/')[-1]}-{self.version}.tgz"


PACKAGES = (
    Package("leaflet", "1.9.4",
            "sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==",
            ("LICENSE", "dist/leaflet.js", "dist/leaflet.css", "dist/images/layers.png", "dist/images/layers-2x.png",
             "dist/images/marker-icon.png", "dist/images/marker-icon-2x.png", "dist/images/marker-shadow.png")),
    Package("leaflet.markercluster", "1.5.3",
            "sha512-vPTw/Bndq7eQHjLBVlWpnGeLa3t+3zGiuM7fJwCkiMFq+nmRuG3RI3f7f4N4TDX7T4NpbAXpR2+NTRSEGfCSeA==",
            ("MIT-LICENCE.txt", "dist/leaflet.markercluster.js", "dist/MarkerCluster.css",
             "dist/MarkerCluster.Default.css")),
    Package("bpmn-js", "18.31.1",
            "sha512-Hc7LzrgwfcBRUAdI/380Q2v1MJ115atGEVGadawLfDbHdo+r+IkmNj8fuYPFmWglUYt1KYIaC46OeX16HGTKQw==",
            ("LICENSE", "dist/bpmn-navigated-viewer.production.min.js", "dist/bpmn-modeler.production.min.js",
             "dist/assets/diagram-js.css", "dist/assets/bpmn-js.css", "dist/assets/bpmn-font/css/bpmn.css",
             "dist/assets/bpmn-font/font/bpmn.eot", "dist/assets/bpmn-font/font/bpmn.svg",
             "dist/assets/bpmn-font/font/bpmn.ttf", "dist/assets/bpmn-font/font/bpmn.woff",
             "dist/assets/bpmn-font/font/bpmn.woff2")),
    # Only the browser tests use axe-core (tests/axe.py checks every page against WCAG 2.1 AA); no page loads it.
    Package("axe-core", "4.14.1",
            "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
            ("LICENSE", "LICENSE-3RD-PARTY.txt", "axe.min.js")),
)


def verified(package: Package, data: bytes) -> bytes:
    algorithm, _, expected = package.integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise SystemExit(f"{package.name}@{package.version}: integrity mismatch (got {algorithm}-{actual})")
    return data


def vendor(package: Package) -> None:
    with urllib.request.urlopen(package.tarball, timeout=60) as response:
        data = verified(package, response.read())
    folder = TARGET / package.name
    shutil.rmtree(folder, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for path in package.files:
            member = archive.extractfile(f"package/{path}")
            if member is None:
                raise SystemExit(f"{package.name}@{package.version}: {path} is not in the package")
            # dist/ is dropped: vendor/leaflet/leaflet.js, vendor/leaflet/images/marker-icon.png
            out = folder / path.removeprefix("dist/")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(member.read())
    (folder / "VERSION").write_text(f"{package.name}@{package.version} {package.integrity}\n")
    print(f"{package.name}@{package.version} -> {folder}")


def main() -> int:
    for package in PACKAGES:
        vendor(package)
    return 0


if __name__ == "__main__":
    sys.exit(main())
