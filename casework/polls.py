"""民意征集 polls: a subject, a questionnaire, a period, a target (a sample or an open link).

A poll is written as TOML (``minyi poll create FILE``)::

    title = "关于老旧小区加装电梯实施方案的意见征集"
    subject = "project"            # decision | document | project
    starts = 2026-11-02
    ends = 2026-11-20
    target = "sample"              # sample (a probability sample of a frame) | open (link / QR)
    [sample]                       # only for target = "sample"
    total = 200
    minimum = 10
    allocation = "proportional"    # equal | proportional
    stratum = "township"           # the frame column that makes the strata
    [[questions]]
    key = "support"
    kind = "single"                # single | multiple | scale | text
    text = "您是否支持该实施方案？"
    options = ["支持", "不支持", "说不清"]

Answers are stored as text: a single choice is the option's number (``"2"``), a
multiple choice the numbers joined by commas (``"1,3"``), a scale 1..5, open
text as written (kept in the casework file only; reports code it into themes).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final

from casework.errors import BadInput, NotAllowed, NotFound
from casework.store import Casework, short_code

SUBJECTS: Final = {"decision": "重大决策", "document": "重要文件", "project": "重大项目"}
KINDS: Final = ("single", "multiple", "scale", "text")
TARGETS: Final = ("sample", "open")
DRAFT, DRAWN, FIELDING, CLOSED = "draft", "drawn", "fielding", "closed"
SCALE: Final = ("1", "2", "3", "4", "5")
MAX_TEXT: Final = 500


@dataclass(frozen=True)
class Question:
    key: str
    kind: str
    text: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class SampleSpec:
    total: int
    minimum: int = 0
    allocation: str = "proportional"
    stratum: str = "stratum"


@dataclass(frozen=True)
class PollSpec:
    title: str
    subject: str
    starts: date
    ends: date
    target: str
    questions: tuple[Question, ...]
    sample: SampleSpec | None = None
    poll_id: str = ""
    intro: str = ""

    def question(self, key: str) -> Question:
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)

    def to_json(self) -> str:
        raw = asdict(self)
        raw["starts"], raw["ends"] = self.starts.isoformat(), self.ends.isoformat()
        return json.dumps(raw, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PollSpec:
        raw = json.loads(text)
        return cls(
            title=raw["title"],
            subject=raw["subject"],
            starts=date.fromisoformat(raw["starts"]),
            ends=date.fromisoformat(raw["ends"]),
            target=raw["target"],
            questions=tuple(Question(q["key"], q["kind"], q["text"], tuple(q["options"])) for q in raw["questions"]),
            sample=SampleSpec(**raw["sample"]) if raw.get("sample") else None,
            poll_id=raw["poll_id"],
            intro=raw.get("intro", ""),
        )


def parse(text: str) -> PollSpec:
    """A poll from its TOML text; raises BadInput naming what is wrong."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"问卷文件无法读取 / the poll file is not TOML: {exc}") from None
    try:
        title = str(raw["title"]).strip()
        subject = str(raw.get("subject", "decision"))
        starts, ends = raw["starts"], raw["ends"]
        target = str(raw.get("target", "sample"))
        questions = raw["questions"]
    except KeyError as exc:
        raise BadInput(f"问卷缺少 {exc.args[0]} / the poll needs {exc.args[0]}") from None
    if subject not in SUBJECTS:
        raise BadInput(f"subject 须为 {', '.join(SUBJECTS)} / unknown subject {subject!r}")
    if target not in TARGETS:
        raise BadInput(f"target 须为 sample 或 open / unknown target {target!r}")
    if not isinstance(starts, date) or not isinstance(ends, date) or ends < starts:
        raise BadInput("starts/ends 须为日期且 ends 不早于 starts / starts and ends must be dates in order")
    parsed: list[Question] = []
    for q in questions:
        key, kind = str(q.get("key", "")), str(q.get("kind", ""))
        if not key.isidentifier() or kind not in KINDS:
            raise BadInput(f"题目 {key!r}: key 须为标识符，kind 须为 {', '.join(KINDS)} / bad question")
        options = tuple(str(o) for o in q.get("options", ()))
        if kind in ("single", "multiple") and len(options) < 2:
            raise BadInput(f"题目 {key}: 选择题至少两个选项 / a choice needs two options")
        parsed.append(Question(key, kind, str(q.get("text", key)), options))
    if not parsed or len({q.key for q in parsed}) != len(parsed):
        raise BadInput("问卷须有题目且 key 不重复 / questions needed, keys unique")
    sample = None
    if target == "sample":
        s = raw.get("sample", {})
        try:
            sample = SampleSpec(
                int(s["total"]), int(s.get("minimum", 0)), str(s.get("allocation", "proportional")),
                str(s.get("stratum", "stratum")),
            )
        except KeyError:
            raise BadInput("抽样调查须给出 [sample] total / a sample poll needs [sample] total") from None
        if sample.total < 1 or sample.allocation not in ("equal", "proportional"):
            raise BadInput("sample.total ≥ 1，allocation 为 equal 或 proportional / bad [sample]")
    poll_id = str(raw.get("poll_id") or "MZ" + short_code(f"{title}:{starts}", 6))
    return PollSpec(title, subject, starts, ends, target, tuple(parsed), sample, poll_id,
                    str(raw.get("intro", "")))


def check_answer(question: Question, value: str) -> str:
    """The stored form of one answer; raises BadInput for a value the question cannot take."""
    text = (value or "").strip()
    if question.kind == "text":
        if len(text) > MAX_TEXT:
            raise BadInput(f"回答过长（最多 {MAX_TEXT} 字）/ answer too long")
        return text
    if question.kind == "scale":
        if text not in SCALE:
            raise BadInput(f"{question.key}: 须为 1–5 / must be 1–5")
        return text
    numbers = [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]
    valid = {str(k) for k in range(1, len(question.options) + 1)}
    if not numbers or any(n not in valid for n in numbers):
        raise BadInput(f"{question.key}: 选项须为 1–{len(question.options)} / not an option")
    if question.kind == "single" and len(numbers) != 1:
        raise BadInput(f"{question.key}: 单选题只能选一项 / one option only")
    return ",".join(sorted(set(numbers), key=int))


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class Poll:
    poll_id: str
    spec: PollSpec
    status: str
    created_by: str
    created_at: str
    design: dict[str, Any] = field(default_factory=dict)


def create(store: Casework, spec: PollSpec, actor: str, at: datetime) -> Poll:
    with store.transaction() as con:
        cur = con.execute(
            "INSERT OR IGNORE INTO polls (poll_id, title, subject_kind, spec, target, starts, ends, "
            "status, created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (spec.poll_id, spec.title, spec.subject, spec.to_json(), spec.target,
             spec.starts.isoformat(), spec.ends.isoformat(),
             DRAFT if spec.target == "sample" else FIELDING, actor, _iso(at)),
        )
        if cur.rowcount != 1:
            raise NotAllowed(f"征集 {spec.poll_id} 已存在 / poll {spec.poll_id} exists")
    return get(store, spec.poll_id)


def get(store: Casework, poll_id: str) -> Poll:
    rows = store.query(
        "SELECT poll_id, spec, status, created_by, created_at, design FROM polls WHERE poll_id = ?",
        (poll_id,),
    )
    if not rows:
        raise NotFound("民意征集", poll_id)
    pid, spec, status, by, at, design = rows[0]
    return Poll(pid, PollSpec.from_json(spec), status, by, at, json.loads(design) if design else {})


def all_polls(store: Casework) -> list[Poll]:
    return [get(store, r[0]) for r in store.query("SELECT poll_id FROM polls ORDER BY created_at")]


def set_status(store: Casework, poll_id: str, status: str) -> None:
    with store.transaction() as con:
        con.execute("UPDATE polls SET status = ? WHERE poll_id = ?", (status, poll_id))


def store_sample(
    store: Casework, poll_id: str, members: Sequence[tuple[str, str, int, int, float, str | None]],
    design: dict[str, Any],
) -> int:
    """Keep a drawn sample (member_id, stratum, N_h, n_h, design weight, phone); once."""
    poll = get(store, poll_id)
    if poll.status != DRAFT:
        raise NotAllowed(f"征集 {poll_id} 已抽样 / poll {poll_id} was drawn already")
    with store.transaction() as con:
        con.executemany(
            "INSERT INTO poll_members VALUES (?,?,?,?,?,?,?)",
            [(poll_id, *row) for row in members],
        )
        con.execute(
            "UPDATE polls SET status = ?, design = ? WHERE poll_id = ?",
            (DRAWN, json.dumps(design, ensure_ascii=False, sort_keys=True), poll_id),
        )
    return len(members)


def members(store: Casework, poll_id: str) -> list[tuple[str, str, int, int, float, str | None]]:
    return [
        (r[0], r[1], int(r[2]), int(r[3]), float(r[4]), r[5])
        for r in store.query(
            "SELECT member_id, stratum, stratum_population, stratum_sample, design_weight, phone "
            "FROM poll_members WHERE poll_id = ? ORDER BY member_id",
            (poll_id,),
        )
    ]


def add_answers(store: Casework, rows: Sequence[tuple[str, str, str, str, str, datetime]]) -> int:
    """(poll_id, respondent, item, value, channel, at): the first answer per item wins; values
    that the question cannot take are dropped. Returns how many were new."""
    specs: dict[str, PollSpec] = {}
    kept = []
    for poll_id, respondent, item, value, channel, at in rows:
        if poll_id not in specs:
            try:
                specs[poll_id] = get(store, poll_id).spec
            except NotFound:
                continue
        try:
            clean = check_answer(specs[poll_id].question(item), value)
        except (KeyError, BadInput):
            continue
        if clean:
            kept.append((poll_id, respondent, item, clean, channel, _iso(at)))
    with store.transaction() as con:
        before = con.total_changes
        con.executemany("INSERT OR IGNORE INTO poll_answers VALUES (?,?,?,?,?,?)", kept)
        return con.total_changes - before


def answers(store: Casework, poll_id: str) -> list[tuple[str, str, str, str, str]]:
    """(respondent, item, value, channel, answered_at) of a poll."""
    return [
        tuple(r)  # type: ignore[misc]
        for r in store.query(
            "SELECT respondent, item, value, channel, answered_at FROM poll_answers "
            "WHERE poll_id = ? ORDER BY respondent, item",
            (poll_id,),
        )
    ]
