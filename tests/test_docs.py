"""A README or docs/ sentence that names a file, a command, a setting or a query is checked here.

- every ``minyi …`` invocation in README.md and docs/*.md (inline code and code
  blocks) names a real command or sub-command, with options that command has —
  read from ``minyi --help`` through click's CliRunner, as a user would;
- every repository path in inline code exists (paths under a data home such as
  ``inbox/cases/`` are not repository paths);
- links point only at files in the repository (no CONTRACT.md, no METHODS.md, no web);
- every ``MINYI_…`` setting the docs name exists;
- every ``sql`` code block and ``minyi sql "…"`` query runs on a published copy of a freshly
  migrated warehouse.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from app.cli import cli
from channels.aliyun.config import ENV_NAMES as ALIYUN_ENV_NAMES
from minyi.settings import Settings, env_name
from warehouse.db import connect
from warehouse.publish import publish

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
GLOBAL_OPTIONS = {"--home", "--debug", "--help", "-h"}
# first folders of paths that live in a data home, not in the repository
HOME_ENTRIES = {
    "inbox", "published", "bulletins", "texts", "conduct", "secrets", "data_docs",
    ".prefect", "loaded", "rejected", "minyi-home",
}
BARE_SUFFIXES = (".py", ".toml", ".md", ".R", ".lock")  # a bare name with these is a source file
FENCE = re.compile(r"^[ \t]*```([^\n`]*)\n(.*?)^[ \t]*```[ \t]*$", re.S | re.M)
INLINE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
# `minyi` where a shell would run it: line or span start, after VAR=value pairs, `sudo`,
# `uv run [--locked]`, a directory (…/bin/minyi) or systemd's ExecStart=
INVOCATION = re.compile(
    r"^\s*(?:\$\s+)?(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:sudo\s+)?(?:uv\s+run\s+(?:--locked\s+)?)?"
    r"(?:ExecStart=)?(?:\S*/)?minyi\s+(?P<rest>.*)$"
)


@dataclass(frozen=True)
class Doc:
    path: Path
    text: str

    @property
    def name(self) -> str:
        return str(self.path.relative_to(ROOT))

    def blocks(self) -> list[tuple[str, str]]:
        """(info string, body) of every fenced code block."""
        return [(m.group(1).strip(), m.group(2)) for m in FENCE.finditer(self.text)]

    def prose(self) -> str:
        """The text outside fenced code blocks."""
        return FENCE.sub("", self.text)

    def spans(self) -> list[str]:
        return INLINE.findall(self.prose())

    def invocations(self) -> list[str]:
        found = [m.group("rest") for span in self.spans() if (m := INVOCATION.match(span))]
        for info, body in self.blocks():
            if info in ("python", "sql"):
                continue
            found += [m.group("rest") for line in body.splitlines() if (m := INVOCATION.match(line))]
        return found


def _docs() -> list[Doc]:
    return [Doc(p, p.read_text(encoding="utf-8")) for p in DOCS]


# --- the command tree, read from the help pages ---------------------------------------------


@dataclass(frozen=True)
class Command:
    options: frozenset[str]
    subcommands: dict[str, Command]


def _help(args: list[str]) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], prog_name="minyi")
    assert result.exit_code == 0, result.output
    return result.output


def _command(args: list[str]) -> Command:
    text = _help(args)
    options_part, _, commands_part = text.partition("\nCommands:\n")
    names = re.findall(r"^  ([a-z][a-z-]*)\s", commands_part, re.M)
    return Command(
        frozenset(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", options_part)),
        {name: _command([*args, name]) for name in names},
    )


@cache
def command_tree() -> Command:
    return _command([])


def check_invocation(rest: str, tree: Command) -> str | None:
    """Why ``minyi <rest>`` is not a real command line (None when it is)."""
    line = rest.replace("\\|", "/")
    line = re.sub(r'"[^"]*"|\'[^\']*\'', " ARG ", line)  # quoted SQL, texts
    line = re.split(r"\s(?:\||&&|;|#|--)\s|\s*\\$", f" {line} ")[0]
    tokens = [t.strip("[](),") for t in line.split()]
    tokens = [t for t in tokens if t]
    i = 0
    while i < len(tokens) and tokens[i].split("=")[0] in GLOBAL_OPTIONS:
        takes_value = tokens[i] == "--home"
        i += 2 if takes_value else 1
    if i == len(tokens):
        return None if i else "no command"
    if tokens[i] in ("…", "..."):  # `minyi --home DIR …`: any command
        return None
    node: Command = tree
    path: list[str] = []
    while node.subcommands:
        word = tokens[i] if i < len(tokens) else ""
        if word not in node.subcommands:
            return f"`minyi {' '.join([*path, word]).strip()}` is not a command"
        node, path, i = node.subcommands[word], [*path, word], i + 1
    for token in tokens[i:]:
        option = token.split("=")[0]
        if option.startswith("--") and len(option) > 2 and option not in node.options:
            return f"`minyi {' '.join(path)}` has no option {option}"
    return None


def test_the_command_tree_is_read_from_the_help_pages() -> None:
    tree = command_tree()
    assert {"day", "dispatch", "month", "sql", "units", "cases", "prefect"} <= set(tree.subcommands)
    assert set(tree.subcommands["prefect"].subcommands) == {"status", "stop"}
    assert "--encoding" in tree.subcommands["cases"].subcommands["load"].options
    assert "--home" in tree.options


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("day --date 2026-11-16", None),
        ("--home /srv/minyi/a units load units.csv", None),
        ('sql "SELECT 1 -- a comment"   -- prose after', None),
        ("demo [--month YYYY-MM] [--lang zh\\|en] [--channel simulated\\|twilio-emulator]", None),
        ("serve --host 127.0.0.1 --no-worker", None),
        ("prefect status", None),
        ("reports make", "`minyi reports` is not a command"),
        ("prefect restart", "`minyi prefect restart` is not a command"),
        ("cases load --colums map.csv f.csv", "`minyi cases load` has no option --colums"),
        ("units", "`minyi units` is not a command"),
    ],
)
def test_an_invocation_is_checked_against_the_help(line: str, problem: str | None) -> None:
    assert check_invocation(line, command_tree()) == problem


@pytest.mark.parametrize("doc", _docs(), ids=lambda d: d.name)
def test_every_minyi_command_named_is_real(doc: Doc) -> None:
    invocations = doc.invocations()
    assert invocations, f"{doc.name} names no minyi command"
    problems = [f"minyi {rest}: {why}" for rest in invocations if (why := check_invocation(rest, command_tree()))]
    assert problems == []


# --- files --------------------------------------------------------------------------------


def repository_path(span: str) -> str | None:
    """The repository path an inline code span names, or None when it names none."""
    if re.search(r"\s|[*{}|=:…<>@%$~,;()\[\]'\"]", span) or span.startswith(("/", "-", "http")):
        return None
    span = span.removeprefix("./")
    first = span.split("/")[0]
    if "/" not in span and not span.endswith(BARE_SUFFIXES):
        return None  # units.csv, server.json, 存在问题.txt: files of a data home or examples
    if first in HOME_ENTRIES or ("/" in span and first[:1].isupper()):  # Asia/Shanghai
        return None
    return span.rstrip("/")


def _exists(path: str) -> bool:
    if (ROOT / path).exists():
        return True
    if "/" not in path:  # a bare file name, e.g. cli.py: somewhere in the sources
        return any(
            ".venv" not in p.parts for p in ROOT.rglob(path) if p.is_file()
        )
    return False


def test_repository_paths_are_recognised() -> None:
    assert repository_path("channels/questionnaire.toml") == "channels/questionnaire.toml"
    assert repository_path("tests/fixtures/r_survey/") == "tests/fixtures/r_survey"
    assert repository_path("pyproject.toml") == "pyproject.toml"
    assert repository_path("inbox/cases/rejected/") is None  # in a data home
    assert repository_path("<home>/minyi.env") is None
    assert repository_path("/etc/minyi/district-a.env") is None
    assert repository_path("存在问题.txt") is None
    assert repository_path("minyi-day/<district>") is None
    assert repository_path("./minyi-home") is None
    assert repository_path("Asia/Shanghai") is None
    assert repository_path("server.json") is None
    assert not _exists("demo.twilio_emulator")
    assert _exists("cli.py") and _exists("demo/twilio_emulator")


@pytest.mark.parametrize("doc", _docs(), ids=lambda d: d.name)
def test_every_repository_path_named_exists(doc: Doc) -> None:
    named = {p for span in doc.spans() if (p := repository_path(span))}
    assert named, f"{doc.name} names no repository file"
    assert sorted(p for p in named if not _exists(p)) == []


@pytest.mark.parametrize("doc", _docs(), ids=lambda d: d.name)
def test_links_point_only_at_files_in_the_repository(doc: Doc) -> None:
    for target in LINK.findall(doc.prose()):
        assert not re.match(r"^[a-z][a-z0-9+.-]*:", target), f"{doc.name} links outside: {target}"
        path = urllib.parse.unquote(target.split("#")[0])
        resolved = (doc.path.parent / path).resolve()
        assert resolved.is_relative_to(ROOT) and resolved.exists(), f"{doc.name}: {target}"
    for missing in ("CONTRACT.md", "METHODS.md", "DOMAIN.md", "STYLE.md"):
        assert missing not in doc.text, f"{doc.name} refers to {missing}, not in the repository"


def test_the_readme_links_to_the_docs() -> None:
    links = set(LINK.findall(_docs()[0].prose()))
    assert {"docs/运维手册.md", "docs/数据字典.md"} <= links


# --- settings and queries -------------------------------------------------------------------


def _settings() -> set[str]:
    return {env_name(field) for field in Settings.model_fields} | set(ALIYUN_ENV_NAMES.values())


@pytest.mark.parametrize("doc", _docs()[1:], ids=lambda d: d.name)
def test_every_setting_named_exists(doc: Doc) -> None:
    known = _settings()
    named = set(re.findall(r"\bMINYI_[A-Z0-9_]*[A-Z0-9](?:_\*)?", doc.text))
    unknown = {
        n
        for n in named - known
        if not n.startswith("MINYI_ALIYUN_TEMPLATE_")
        and not (n.endswith("_*") and any(k.startswith(n[:-1]) for k in known))  # MINYI_SMTP_*
    }
    assert unknown == set()


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("published")
    with connect(folder / "warehouse.duckdb", {"satisfied_min_level": 3, "min_cell": 5}) as con:
        return publish(con, folder / "published" / "warehouse.duckdb", "k" * 32).path


@pytest.mark.parametrize("doc", _docs(), ids=lambda d: d.name)
def test_every_sql_example_runs_on_the_published_copy(doc: Doc, published: Path) -> None:
    statements = [
        s
        for info, body in doc.blocks()
        if info == "sql"
        for s in re.sub(r"--[^\n]*", "", body).split(";")
        if s.strip()
    ]
    statements += [  # minyi sql "…" one-liners
        m.group(1)
        for rest in doc.invocations()
        if (m := re.match(r'^sql\s+"([^"]+)"', rest.strip())) and "…" not in m.group(1)
    ]
    assert statements, f"{doc.name} shows no query"
    con = duckdb.connect(str(published), read_only=True)
    try:
        for statement in statements:
            con.sql(statement).fetchall()
    finally:
        con.close()
