"""CITATION.cff is valid Citation File Format 1.2.0 and agrees with the book and the how-to-cite page.

No network and no new dependency: the file is parsed with PyYAML (installed with Jupyter Book) and
checked against the rules of the CFF 1.2.0 schema that apply to the keys a file like ours can use
(required keys, allowed keys, types, the date/URL/version patterns, persons and entities, the
preferred-citation reference). The checker itself is tested on broken variants below.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from sitekit import toc_docs

ROOT = Path(__file__).resolve().parents[2]

TOP_KEYS = {"abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi",
            "identifiers", "keywords", "license", "license-url", "message", "preferred-citation",
            "references", "repository", "repository-artifact", "repository-code", "title", "type",
            "url", "version"}
PERSON_KEYS = {"address", "affiliation", "alias", "city", "country", "email", "family-names", "fax",
               "given-names", "name-particle", "name-suffix", "orcid", "post-code", "region", "tel",
               "website"}
ENTITY_KEYS = {"address", "alias", "city", "country", "date-end", "date-start", "email", "fax",
               "location", "name", "orcid", "post-code", "region", "tel", "website"}
REFERENCE_KEYS = {"abbreviation", "abstract", "authors", "collection-doi", "collection-title",
                  "collection-type", "commit", "conference", "contact", "copyright", "data-type",
                  "database", "database-provider", "date-accessed", "date-downloaded",
                  "date-published", "date-released", "department", "doi", "edition", "editors",
                  "editors-series", "end", "entry", "filename", "format", "identifiers",
                  "institution", "isbn", "issn", "issue", "issue-date", "issue-title", "journal",
                  "keywords", "languages", "license", "license-url", "loc-end", "loc-start",
                  "location", "medium", "month", "nihmsid", "notes", "number", "number-volumes",
                  "pages", "patent-states", "pmcid", "publisher", "recipients", "repository",
                  "repository-artifact", "repository-code", "scope", "section", "senders", "start",
                  "status", "term", "thesis-type", "title", "translators", "type", "url", "version",
                  "volume", "volume-title", "year", "year-original"}
REFERENCE_TYPES = {"art", "article", "audiovisual", "bill", "blog", "book", "catalogue",
                   "conference-paper", "conference", "data", "database", "dictionary",
                   "edited-work", "encyclopedia", "film-broadcast", "generic",
                   "government-document", "grant", "hearing", "historical-work", "legal-case",
                   "legal-rule", "magazine-article", "manual", "map", "multimedia", "music",
                   "newspaper-article", "pamphlet", "patent", "personal-communication",
                   "proceedings", "report", "serial", "slides", "software-code",
                   "software-container", "software-executable", "software-virtual-machine",
                   "software", "sound-recording", "standard", "statute", "thesis", "unpublished",
                   "video", "website"}
DATE = re.compile(r"^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$")
URL = re.compile(r"^(https|http|ftp|sftp)://.+")
SPDX_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]*$")


def _nonempty_str(value) -> bool:
    return isinstance(value, str) and len(value) > 0


def _date_problem(where: str, value) -> str | None:
    if isinstance(value, dt.date):  # unquoted YAML date: the schema asks tools to cast it
        value = value.isoformat()
    if not (isinstance(value, str) and DATE.match(value)):
        return f"{where}: not a YYYY-MM-DD date: {value!r}"
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return f"{where}: not a calendar date: {value!r}"
    return None


def _authors_problems(where: str, authors) -> list[str]:
    if not (isinstance(authors, list) and authors):
        return [f"{where}: must be a non-empty list"]
    problems = []
    for i, author in enumerate(authors):
        at = f"{where}[{i}]"
        if not isinstance(author, dict):
            problems.append(f"{at}: must be a mapping")
        elif "name" in author:  # an entity
            problems += [f"{at}: unknown entity key {k!r}" for k in author if k not in ENTITY_KEYS]
            if not _nonempty_str(author["name"]):
                problems.append(f"{at}.name: must be a non-empty string")
        else:  # a person
            problems += [f"{at}: unknown person key {k!r}" for k in author if k not in PERSON_KEYS]
            if not any(_nonempty_str(author.get(k)) for k in ("family-names", "given-names")):
                problems.append(f"{at}: a person needs family-names or given-names")
    if len({repr(sorted(a.items())) for a in authors if isinstance(a, dict)}) != len(authors):
        problems.append(f"{where}: authors must be unique")
    return problems


def _common_problems(where: str, data: dict) -> list[str]:
    """Rules shared by the top level and a reference."""
    problems = []
    for key in ("title", "abstract", "message", "medium", "notes"):
        if key in data and not _nonempty_str(data[key]):
            problems.append(f"{where}{key}: must be a non-empty string")
    if "version" in data and not (_nonempty_str(data["version"])
                                  or isinstance(data["version"], (int, float))):
        problems.append(f"{where}version: must be a string or a number")
    if "date-released" in data and (p := _date_problem(f"{where}date-released", data["date-released"])):
        problems.append(p)
    for key in ("url", "repository", "repository-code", "repository-artifact", "license-url"):
        if key in data and not (isinstance(data[key], str) and URL.match(data[key])):
            problems.append(f"{where}{key}: not an http(s)/ftp URL: {data[key]!r}")
    if "keywords" in data:
        kw = data["keywords"]
        if not (isinstance(kw, list) and kw and all(_nonempty_str(k) for k in kw)
                and len(set(kw)) == len(kw)):
            problems.append(f"{where}keywords: must be a non-empty list of unique strings")
    if "license" in data:
        lic = data["license"]
        ids = lic if isinstance(lic, list) else [lic]
        if not (ids and all(isinstance(i, str) and SPDX_ID.match(i) for i in ids)):
            problems.append(f"{where}license: not an SPDX identifier (or list of them): {lic!r}")
    return problems


def cff_problems(data) -> list[str]:
    """Every violation of the CFF 1.2.0 rules checked here; empty means valid."""
    if not isinstance(data, dict):
        return ["the file must be a YAML mapping"]
    problems = [f"unknown key {k!r}" for k in data if k not in TOP_KEYS]
    problems += [f"missing required key {k!r}" for k in ("cff-version", "message", "title", "authors")
                 if k not in data]
    if "cff-version" in data and data["cff-version"] != "1.2.0":
        problems.append(f"cff-version: must be the string '1.2.0', got {data['cff-version']!r}")
    if "type" in data and data["type"] not in ("software", "dataset"):
        problems.append(f"type: must be 'software' or 'dataset', got {data['type']!r}")
    if "authors" in data:
        problems += _authors_problems("authors", data["authors"])
    problems += _common_problems("", data)
    if "preferred-citation" in data:
        ref = data["preferred-citation"]
        if not isinstance(ref, dict):
            return problems + ["preferred-citation: must be a mapping"]
        problems += [f"preferred-citation: unknown key {k!r}" for k in ref if k not in REFERENCE_KEYS]
        problems += [f"preferred-citation: missing required key {k!r}"
                     for k in ("authors", "title", "type") if k not in ref]
        if "type" in ref and ref["type"] not in REFERENCE_TYPES:
            problems.append(f"preferred-citation.type: unknown type {ref['type']!r}")
        if "authors" in ref:
            problems += _authors_problems("preferred-citation.authors", ref["authors"])
        for key in ("year", "month", "volume", "pages", "start", "end"):
            if key in ref and not (isinstance(ref[key], int) and not isinstance(ref[key], bool)):
                problems.append(f"preferred-citation.{key}: must be an integer")
        problems += _common_problems("preferred-citation.", ref)
    return problems


@pytest.fixture(scope="module")
def cff() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def test_citation_cff_is_valid(cff):
    assert cff_problems(cff) == []
    # what a reader needs, beyond the schema's minimum
    for key in ("type", "version", "date-released", "license", "preferred-citation"):
        assert key in cff, key


def test_citation_cff_agrees_with_the_project(cff):
    book = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert cff["title"] == cff["preferred-citation"]["title"] == book["title"]
    assert cff["version"] == cff["preferred-citation"]["version"] == project["version"]
    assert cff["license"] == project["license"]["text"]
    assert cff["preferred-citation"]["year"] == int(str(cff["date-released"])[:4])
    assert [a["name"] for a in cff["authors"]] == [book["author"]]


def test_how_to_cite_bibtex_agrees_with_citation_cff(cff):
    """Every BibTeX entry on the how-to-cite page names this title, year and version."""
    page = (ROOT / "book" / "how_to_cite.md").read_text(encoding="utf-8")
    entries = re.findall(r"```bibtex\n(.*?)```", page, re.DOTALL)
    assert len(entries) >= 2, "the page shows a BibTeX entry for the book and one for a chapter"
    for entry in entries:
        fields = dict(re.findall(r"^\s*([a-z]+)\s*=\s*\{(.*)\},?\s*$", entry, re.MULTILINE))
        assert fields["title"] == cff["title"], entry
        assert fields["year"] == str(cff["preferred-citation"]["year"]), entry
        assert cff["version"] in fields["note"], entry
        assert fields["author"] == "{" + cff["authors"][0]["name"] + "}", entry
    assert "CITATION.cff" in page


def _broken(cff: dict, path: tuple, value=None, delete=False) -> dict:
    data = copy.deepcopy(cff)
    node = data
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


@pytest.mark.parametrize("path, value, delete, expected", [
    (("title",), None, True, "missing required key 'title'"),
    (("authors",), None, True, "missing required key 'authors'"),
    (("cff-version",), "1.1.0", False, "cff-version"),
    (("cff-version",), 1.2, False, "cff-version"),
    (("date-released",), "2026-13-01", False, "date-released"),
    (("date-released",), "2026-02-30", False, "not a calendar date"),
    (("type",), "book", False, "type: must be"),
    (("repository-code",), "github.com/x/y", False, "repository-code"),
    (("authors",), [{"affiliation": "somewhere"}], False, "family-names or given-names"),
    (("authors",), [], False, "non-empty list"),
    (("colour",), "blue", False, "unknown key 'colour'"),
    (("keywords",), ["a", "a"], False, "keywords"),
    (("license",), "MIT License", False, "license"),
    (("preferred-citation", "type"), "novel", False, "unknown type"),
    (("preferred-citation", "year"), "2026", False, "must be an integer"),
    (("preferred-citation", "title"), None, True, "missing required key 'title'"),
])
def test_checker_rejects_broken_files(cff, path, value, delete, expected):
    problems = cff_problems(_broken(cff, path, value, delete))
    assert any(expected in p for p in problems), problems


def test_checker_accepts_unquoted_yaml_date(cff):
    assert cff_problems(_broken(cff, ("date-released",), dt.date(2026, 11, 26))) == []


def _toc_notebooks() -> list[Path]:
    return [ROOT / f"{doc}.ipynb" for doc in toc_docs() if (ROOT / f"{doc}.ipynb").is_file()]


def test_chapter_labels_follow_the_citation_scheme():
    """What the how-to-cite page promises: chapter N is labelled chN, and its labels start chN-.

    Checked on every notebook in _toc.yml: the first cell opens with the chapter label, and every
    section target, numbered equation and theorem-like block in it carries the chapter's prefix, so
    a label names one place in the book and survives renumbering.
    """
    notebooks = _toc_notebooks()
    assert notebooks, "no chapter notebooks in _toc.yml"
    problems = []
    for path in notebooks:
        number = re.match(r"(\d+)_", path.name)
        if number is None:
            problems.append(f"{path.name}: chapter file names start with their number, NN_")
            continue
        chapter = f"ch{int(number.group(1))}"
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        first = "".join(cells[0]["source"]) if cells else ""
        if not first.startswith(f"({chapter})="):
            problems.append(f"{path.name}: the first cell must open with the label ({chapter})=")
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        labels = (re.findall(r"^\(([^)\s]+)\)=", text, re.MULTILINE)
                  + re.findall(r"\$\$[ \t]*\(([A-Za-z][\w:.-]*)\)[ \t]*$", text, re.MULTILINE)
                  + re.findall(r"^:label:\s*(\S+)", text, re.MULTILINE))
        problems += [f"{path.name}: label {label!r} lacks the prefix {chapter}-" for label in labels
                     if label != chapter and not label.startswith(chapter + "-")]
    assert not problems, "\n".join(problems)
