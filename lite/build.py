"""Build the runnable copies of the chapters into the built book (run after ``jupyter-book build``).

    .venv/bin/python lite/build.py [--html _build/html] [--only downloads|lite]

``downloads`` writes ``<html>/downloads/``: the softprob wheel (built from this repository),
``requirements-reader.txt``, and ``softprob-chapters.zip`` (every chapter, converted to plain
Markdown by ``lite/mystlite.py``, with the two files above and a README).

``lite`` writes ``<html>/lite/``: a JupyterLite site (the Notebook app; lab and tree for files)
with the same chapters, whose Python kernel is Pyodide 0.27.7 served from ``lite/static/pyodide/``:

* the interpreter and the official ``pyodide-lock.json`` come from the npm package
  ``pyodide@0.27.7``, checked against the npm integrity hash pinned in ``lite/pins.toml``;
* the package files of numpy, scipy, matplotlib, scikit-learn and the kernel's own packages come
  from the carrier wheel pinned there (by sha256), and EVERY file is checked against the sha256
  that the official lock gives it: one mismatch or missing file stops the build;
* sympy, mpmath and comm are PyPI's own wheels (pinned by sha256), and softprob's wheel is the one
  built above; their lock entries are written here, so ``import softprob`` loads it;
* the lock is cut down to the shipped files, so nothing else can be requested, and
  ``lite/PROVENANCE.txt`` lists every shipped file with its sha256, source and licence.

``lite/jupyter-lite.json`` turns off the kernel's PyPI fallback and exposes the app as
``window.jupyterapp`` (tests/book/test_lite.py drives Run All and reads the cells through it).

The book does not depend on this step: ``.ci/setup`` runs it after the book is built and reports a
failure without undoing the book. Every download goes through pip and npm, from PyPI and the npm
registry only, so the build is reproducible from the registries alone.
"""

from __future__ import annotations

import argparse
import base64
import email.parser
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import mystlite  # noqa: E402

PINS = tomllib.loads((HERE / "pins.toml").read_text(encoding="utf-8"))
BOOK_TITLE = "Why softmax scores are probabilities"
ZIP_NAME = "softprob-chapters.zip"
PYODIDE_KERNELSPEC = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}


class BuildError(RuntimeError):
    """A step failed; the message says which and why."""


def log(message: str) -> None:
    print(f"[lite] {message}", flush=True)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(name: str) -> str:
    """A package name as the lock keys it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def source_epoch() -> int:
    """Timestamps for the wheel, the zip and the lite site: SOURCE_DATE_EPOCH, else the time of
    the repository's last commit (the same bytes for the same commit), else 1980-01-01."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        return int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        return int(subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError, ValueError):
        return 315532800


EPOCH = source_epoch()


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode:
        raise BuildError(f"command failed ({result.returncode}): {' '.join(map(str, cmd))}\n"
                         f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


# ---------------------------------------------------------------------------- chapters
def chapters() -> list[Path]:
    """The chapter notebooks, in the table of contents' order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node and (ROOT / f"{node['file']}.ipynb").is_file():
                found.append(ROOT / f"{node['file']}.ipynb")
            for key, value in node.items():
                if key != "file":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return found


def note(number: int, title: str, page: str, in_browser: bool) -> str:
    """The first cell of a runnable copy: what it is, how to run it, where its web page is."""
    back = (" (your browser's Back button returns to it)" if in_browser else "")
    return (f"**Runnable copy of chapter {number}, *{title}*,** of the book *{BOOK_TITLE}*. "
            "Run every cell with *Run → Run All Cells*: each proof and check ends in an "
            "`assert`, so a run with no error re-verifies the chapter. Cross-references appear "
            "here as labels, such as (eq. ch1-decomp) or Theorem ch1-thm-decomp; the chapter's "
            f"page on the book's website, `{page}`{back}, numbers and links them.")


def convert_chapters(dest: Path, in_browser: bool = False) -> list[Path]:
    """Every chapter, converted by mystlite, written flat into ``dest``; for the browser copy,
    with the Pyodide kernel's name."""
    dest.mkdir(parents=True, exist_ok=True)
    cite = mystlite.bib_citer(ROOT / "references.bib")
    written = []
    for number, source in enumerate(chapters(), start=1):
        nb = json.loads(source.read_text(encoding="utf-8"))
        heading = next((line for cell in nb["cells"] if cell["cell_type"] == "markdown"
                        for line in "".join(cell["source"]).split("\n")
                        if line.startswith("# ")), f"# {source.stem}")
        page = source.relative_to(ROOT).with_suffix(".html").as_posix()
        converted = mystlite.convert_notebook(
            nb, mystlite.Context(cite=cite), note(number, heading[2:].strip(), page, in_browser))
        if in_browser:
            converted["metadata"]["kernelspec"] = PYODIDE_KERNELSPEC
        target = dest / source.name
        target.write_text(json.dumps(converted, indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
        written.append(target)
    return written


# ---------------------------------------------------------------------------- downloads
def build_wheel(dest: Path, work: Path) -> Path:
    """softprob's wheel, built from a clean copy of the package (no build/ in the repository)."""
    src = work / "softprob-src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "softprob", src / "softprob",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)}
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dest), str(src)],
        env=env)
    wheels = sorted(dest.glob("softprob-*.whl"))
    if len(wheels) != 1:
        raise BuildError(f"expected one softprob wheel in {dest}, found {wheels}")
    return wheels[0]


def write_zip(path: Path, files: dict[str, bytes]) -> None:
    stamp = time.gmtime(max(EPOCH, 315532800))[:6]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)


READER_README = """Why softmax scores are probabilities: the chapters as notebooks

Every chapter of the book, runnable on your own machine (Python 3.11 or later):

    python3 -m venv .venv
    .venv/bin/pip install -r requirements-reader.txt {wheel}
    .venv/bin/jupyter lab

(On Windows: py -m venv .venv, then .venv\\Scripts\\pip and .venv\\Scripts\\jupyter.)
Open a chapter and choose Run > Run All Cells: each proof and numerical check ends in an
assert, so a run without an error re-verifies the chapter. {wheel} is the
book's helper package, softprob; requirements-reader.txt pins everything else.
"""


def build_downloads(html: Path, work: Path) -> dict:
    """<html>/downloads/: the wheel, requirements-reader.txt and the chapters' zip."""
    out = html / "downloads"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    wheel = build_wheel(out, work)
    requirements = (ROOT / "requirements-reader.txt").read_bytes()
    (out / "requirements-reader.txt").write_bytes(requirements)
    shutil.rmtree(work / "contents", ignore_errors=True)
    notebooks = convert_chapters(work / "contents")
    folder = "softprob-chapters/"
    files = {folder + nb.name: nb.read_bytes() for nb in notebooks}
    files[folder + "requirements-reader.txt"] = requirements
    files[folder + wheel.name] = wheel.read_bytes()
    files[folder + "README.txt"] = READER_README.format(wheel=wheel.name).encode()
    write_zip(out / ZIP_NAME, files)
    log(f"downloads: {wheel.name}, requirements-reader.txt, {ZIP_NAME} "
        f"({len(notebooks)} chapters)")
    lite_contents = work / "lite-contents"
    shutil.rmtree(lite_contents, ignore_errors=True)
    convert_chapters(lite_contents, in_browser=True)
    return {"wheel": wheel, "contents": lite_contents}


# ---------------------------------------------------------------------------- pyodide
def fetch_npm_pyodide(cache: Path) -> Path:
    """The npm package's tarball, verified against the pinned integrity hash."""
    pin = PINS["pyodide"]
    name = pin["npm"].split("@")[0]
    tarball = cache / f"{name}-{pin['version']}.tgz"
    if not tarball.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        if shutil.which("npm") is None:
            raise BuildError("npm is missing: install it (Debian: apt-get install npm)")
        run(["npm", "pack", pin["npm"], "--pack-destination", str(cache), "--silent"])
    algorithm, _, expected = pin["integrity"].partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if actual != expected:
        tarball.unlink()
        raise BuildError(f"{tarball.name}: {algorithm} {actual} is not the pinned {expected}")
    return tarball


def fetch_wheels(cache: Path) -> dict[str, Path]:
    """The carrier and the PyPI wheels, downloaded by pip with --require-hashes."""
    pins = [(PINS["carrier"]["requirement"], PINS["carrier"]["file"], PINS["carrier"]["sha256"])]
    for entry in PINS["pypi"]:
        version = entry["file"].split("-")[1]
        pins.append((f"{entry['name']}=={version}", entry["file"], entry["sha256"]))
    cache.mkdir(parents=True, exist_ok=True)
    missing = [p for p in pins if not (cache / p[1]).is_file()]
    if missing:
        requirements = cache / "requirements.txt"
        requirements.write_text("".join(f"{req} --hash=sha256:{digest}\n"
                                        for req, _, digest in missing))
        run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", "--require-hashes", "-r", str(requirements),
             "-d", str(cache)])
    files = {}
    for _, file, digest in pins:
        path = cache / file
        if not path.is_file() or sha256(path.read_bytes()) != digest:
            raise BuildError(f"{file}: missing or not the pinned sha256 {digest}")
        files[file] = path
    return files


def closure(lock: dict, names: list[str]) -> list[str]:
    """``names`` and everything they depend on, by the lock's (canonical) names."""
    seen: set[str] = set()
    stack = [canonical(n) for n in names]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        if name not in lock:
            raise BuildError(f"{name} is not in Pyodide {PINS['pyodide']['version']}'s lock")
        seen.add(name)
        stack += [canonical(d) for d in lock[name]["depends"]]
    return sorted(seen)


def wheel_metadata(data: bytes) -> email.message.Message:
    with zipfile.ZipFile(io.BytesIO(data)) as whl:
        meta = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(whl.read(meta).decode("utf-8"))


def wheel_license(data: bytes) -> str:
    """A wheel's licence from its metadata: License-Expression, License, or the classifiers."""
    meta = wheel_metadata(data)
    text = (meta.get("License-Expression") or meta.get("License") or "").strip()
    text = text if text and "\n" not in text and len(text) < 60 else ""
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or []
                   if c.startswith("License ::")]
    if text and classifiers and text not in classifiers:
        return f"{text} ({', '.join(classifiers)})"
    return text or ", ".join(classifiers) or "see the licence files inside the wheel"


def lock_entry(name: str, file: str, data: bytes, imports: list[str], depends: list[str]) -> dict:
    return {"name": name, "version": file.split("-")[1], "file_name": file,
            "install_dir": "site", "sha256": sha256(data), "package_type": "package",
            "imports": imports, "depends": depends, "unvendored_tests": False,
            "shared_library": False}


def assemble_pyodide(dest: Path, cache: Path, softprob_wheel: Path) -> list[dict]:
    """Pyodide's core, the verified package files and the lock into ``dest``; returns the
    provenance rows."""
    pin = PINS["pyodide"]
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    tarball = fetch_npm_pyodide(cache)
    rows = []
    with tarfile.open(tarball) as tar:
        read = lambda name: tar.extractfile(f"package/{name}").read()  # noqa: E731
        official = json.loads(read("pyodide-lock.json"))
        npm_license = json.loads(read("package.json")).get("license", "MPL-2.0")
        for name in pin["core"]:
            data = read(name)
            (dest / name).write_bytes(data)
            rows.append({"file": name, "sha256": sha256(data), "version": pin["version"],
                         "source": f"npm {pin['npm']} (integrity {pin['integrity'][:19]}...)",
                         "license": f"{npm_license} (Pyodide; the interpreter bundles CPython "
                                    "3.12, PSF-2.0, and Emscripten's runtime, MIT)"})
    if official["info"]["version"] != pin["version"]:
        raise BuildError(f"the npm package's lock is for Pyodide {official['info']['version']}")
    lock = official["packages"]
    wanted = closure(lock, PINS["packages"]["chapters"] + PINS["packages"]["kernel"])
    replaced = {canonical(entry["name"]) for entry in PINS["pypi"]}
    wheels = fetch_wheels(cache)
    carrier = PINS["carrier"]
    shipped = {}
    with zipfile.ZipFile(wheels[carrier["file"]]) as whl:
        members = set(whl.namelist())
        for name in wanted:
            if name in replaced:
                continue
            entry = lock[name]
            member = carrier["prefix"] + entry["file_name"]
            if member not in members:
                raise BuildError(f"{entry['file_name']} ({name}) is not in {carrier['file']}")
            data = whl.read(member)
            if sha256(data) != entry["sha256"]:
                raise BuildError(f"{entry['file_name']}: sha256 {sha256(data)} differs from the "
                                 f"official lock's {entry['sha256']}; nothing was shipped")
            (dest / entry["file_name"]).write_bytes(data)
            shipped[name] = entry
            license_ = (PINS["licenses"].get(name) if entry["file_name"].endswith(".zip")
                        or name in PINS["licenses"] else wheel_license(data))
            rows.append({"file": entry["file_name"], "sha256": entry["sha256"],
                         "version": entry["version"], "license": license_,
                         "source": f"{carrier['requirement']} (sha256 "
                                   f"{carrier['sha256'][:12]}...), equal to the official lock's "
                                   "sha256"})
    for spec in PINS["pypi"]:
        data = wheels[spec["file"]].read_bytes()
        name = canonical(spec["name"])
        shipped[name] = lock_entry(name, spec["file"], data, spec["imports"], spec["depends"])
        (dest / spec["file"]).write_bytes(data)
        rows.append({"file": spec["file"], "sha256": sha256(data),
                     "version": shipped[name]["version"], "license": spec["license"],
                     "source": f"PyPI {spec['name']}=={shipped[name]['version']} (pinned sha256)"})
    data = softprob_wheel.read_bytes()
    requires = [canonical(re.split(r"[ ;<>=!~\[(]", r, maxsplit=1)[0])
                for r in wheel_metadata(data).get_all("Requires-Dist") or []]
    shipped["softprob"] = lock_entry("softprob", softprob_wheel.name, data, ["softprob"],
                                     sorted(set(requires) | {"threadpoolctl"}))
    (dest / softprob_wheel.name).write_bytes(data)
    rows.append({"file": softprob_wheel.name, "sha256": sha256(data),
                 "version": shipped["softprob"]["version"], "license": "MIT",
                 "source": "built from this repository by lite/build.py"})
    for name, entry in shipped.items():
        unmet = [d for d in entry["depends"] if canonical(d) not in shipped]
        if unmet:
            raise BuildError(f"{name} depends on {unmet}, which are not shipped")
    trimmed = {"info": official["info"], "packages": dict(sorted(shipped.items()))}
    (dest / "pyodide-lock.json").write_text(json.dumps(trimmed, indent=1) + "\n")
    rows.append({"file": "pyodide-lock.json", "sha256": sha256((dest / "pyodide-lock.json")
                                                                .read_bytes()),
                 "version": pin["version"], "license": npm_license,
                 "source": f"npm {pin['npm']}'s pyodide-lock.json, cut down to the files above; "
                           "sympy, mpmath, comm and softprob entries written by lite/build.py"})
    log(f"pyodide: {len(shipped)} packages verified and locked "
        f"({sum(1 for r in rows if 'official lock' in r['source'])} files checked against the "
        "official lock)")
    return rows


def write_provenance(path: Path, rows: list[dict]) -> None:
    pin = PINS["pyodide"]
    lines = [
        "Provenance and licences of the in-browser Python (static/pyodide/ in this folder)",
        "",
        f"Pyodide {pin['version']} (MPL-2.0) and the Python packages the book's chapters use, as",
        "assembled by lite/build.py of the book's repository. Every package file below that came",
        f"from the carrier wheel {PINS['carrier']['requirement']} was checked byte for byte",
        f"(sha256) against the official pyodide-lock.json of the npm package {pin['npm']};",
        "the build stops on any difference. A wheel's licence below is what its metadata declares;",
        "the full texts are inside each wheel (its .dist-info folder).",
        "JupyterLite's own licences: build/third-party-licenses.json and each extension's",
        "static/third-party-licenses.json.",
        "",
    ]
    for row in rows:
        lines += [row["file"], f"  version: {row['version']}", f"  sha256:  {row['sha256']}",
                  f"  source:  {row['source']}", f"  licence: {row['license']}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


# ---------------------------------------------------------------------------- jupyterlite
def build_lite(html: Path, work: Path, cache: Path, downloads: dict) -> None:
    lite_dir = work / "lite"
    shutil.rmtree(lite_dir, ignore_errors=True)
    lite_dir.mkdir(parents=True)
    shutil.copy2(HERE / "jupyter-lite.json", lite_dir / "jupyter-lite.json")
    rows = assemble_pyodide(lite_dir / "static" / "pyodide", cache, downloads["wheel"])
    out = html / "lite"
    shutil.rmtree(out, ignore_errors=True)
    kernel_ext = (Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyterlite"
                  / "pyodide-kernel-extension")
    if not kernel_ext.is_dir():
        raise BuildError(f"{kernel_ext} is missing: pip install -r requirements.txt")
    started = time.perf_counter()
    run([str(Path(sys.executable).parent / "jupyter-lite"), "build",
         "--lite-dir", str(lite_dir), "--output-dir", str(out),
         "--contents", str(downloads["contents"]),
         "--apps", "notebooks", "--apps", "lab", "--apps", "tree",
         "--no-sourcemaps", "--no-unused-shared-packages", "--ignore-sys-prefix",
         f"--LiteBuildConfig.federated_extensions={kernel_ext}",
         f"--source-date-epoch={EPOCH}"], cwd=lite_dir)
    log(f"jupyter lite build: {time.perf_counter() - started:.0f} s")
    config = json.loads((out / "jupyter-lite.json").read_text(encoding="utf-8"))
    settings = config["jupyter-config-data"]["litePluginSettings"][
        "@jupyterlite/pyodide-kernel-extension:kernel"]
    if settings.get("pyodideUrl") != "./static/pyodide/pyodide.js" or \
            not settings.get("disablePyPIFallback"):
        raise BuildError(f"unexpected kernel settings in {out / 'jupyter-lite.json'}: {settings}")
    # JupyterLab's busy/idle tab icons, which the lite build does not ship (jupyter_server's).
    import jupyter_server
    shutil.copytree(Path(jupyter_server.__file__).parent / "static" / "favicons",
                    out / "static" / "favicons")
    write_provenance(out / "PROVENANCE.txt", rows)


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--cache", type=Path, default=ROOT / "_build" / "lite-cache",
                        help="downloads (verified on every use) and the JupyterLite work folder")
    parser.add_argument("--only", choices=("downloads",), help="skip the JupyterLite site")
    args = parser.parse_args(argv)
    html = args.html.resolve()
    if not (html / "index.html").is_file():
        print(f"[lite] no built book at {html}: run jupyter-book build first", file=sys.stderr)
        return 2
    started = time.perf_counter()
    work = args.cache.resolve() / "work"
    try:
        downloads = build_downloads(html, work)
        if args.only != "downloads":
            build_lite(html, work, args.cache.resolve() / "files", downloads)
    except BuildError as error:
        print(f"[lite] FAILED: {error}", file=sys.stderr)
        return 1
    sizes = ", ".join(f"{name}/ {size_mb(html / name):.1f} MB" for name in ("downloads", "lite")
                      if (html / name).is_dir())
    log(f"done in {time.perf_counter() - started:.0f} s: {sizes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
