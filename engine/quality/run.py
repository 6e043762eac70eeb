"""Apply the rule checks and near-duplicate detection to the records of a project.

Records are flagged, never deleted. Only the flags this pass owns (the rules' and
"near_duplicate") are replaced; any other flag (the judge's "low_score", a person's own)
is kept. A record's flags are written only when they change, each through
records.update_record, so the edit log sees every change.

Near-duplicates are always looked for across the whole project, even when `ids` limits
which records are checked: a new record can duplicate an old one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from engine.errors import CancelledError, NotFoundError
from engine.i18n import ntr, tr
from engine.quality.dedup import FLAG as DUP_FLAG
from engine.quality.dedup import DedupConfig, duplicate_flags
from engine.quality.rules import (
    RULE_FLAG_PREFIXES,
    RuleConfig,
    check_record,
    flag_prefix,
)
from engine.store import records as store
from engine.store.models import Record
from engine.store.project import Project

OWNED_PREFIXES = RULE_FLAG_PREFIXES | {DUP_FLAG}


@dataclass
class CheckReport:
    checked: int = 0
    flagged: int = 0  # records with at least one quality flag after the pass
    changed: int = 0  # records whose flags were rewritten
    duplicates: int = 0  # records flagged near_duplicate
    by_flag: dict[str, int] = field(default_factory=dict)  # flag prefix -> records

    def as_dict(self) -> dict:
        return {
            "checked": self.checked,
            "flagged": self.flagged,
            "changed": self.changed,
            "duplicates": self.duplicates,
            "by_flag": dict(self.by_flag),
        }


def merge_flags(current: Sequence[str], new: Sequence[str], owned: frozenset[str] | set[str]) -> tuple[str, ...]:
    """`current` without the flags whose prefix is in `owned`, then `new` (no repeats)."""
    kept = [f for f in current if flag_prefix(f) not in owned]
    out: list[str] = []
    for f in [*kept, *new]:
        if f not in out:
            out.append(f)
    return tuple(out)


def check_records(
    project: Project,
    ids: Sequence[int] | None = None,
    *,
    rules: RuleConfig | None = None,
    dedup: DedupConfig | None = None,
    use_dedup: bool = True,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> CheckReport:
    """Check the records `ids` (default all), write their quality flags, count them."""
    everything = store.list_records(project)
    wanted = set(ids) if ids is not None else None
    targets: list[Record] = [r for r in everything if wanted is None or r.id in wanted]
    if wanted is not None:
        missing = wanted - {r.id for r in targets}
        if missing:
            raise NotFoundError(tr("Record {id} is not in this project.").format(id=min(missing)))
    dups = duplicate_flags(everything, dedup) if use_dedup else {}
    owned = OWNED_PREFIXES if use_dedup else RULE_FLAG_PREFIXES
    report = CheckReport()
    counts: Counter[str] = Counter()
    for n, rec in enumerate(targets, 1):
        if cancel is not None and cancel():
            raise CancelledError(ntr("Checking stopped after {done} of {total} record; their flags are saved.",
                                     "Checking stopped after {done} of {total} records; their flags are saved.",
                                     len(targets)).format(done=n - 1, total=len(targets)))
        new = check_record(rec, rules)
        if rec.id in dups:
            new.append(dups[rec.id])
            report.duplicates += 1
        flags = merge_flags(rec.flags, new, owned)
        if flags != tuple(rec.flags):
            store.update_record(project, rec.id, flags=flags)
            report.changed += 1
        quality = [f for f in flags if flag_prefix(f) in OWNED_PREFIXES]
        report.flagged += bool(quality)
        counts.update({flag_prefix(f) for f in quality})
        report.checked += 1
        if progress is not None:
            progress(n, len(targets))
    report.by_flag = dict(sorted(counts.items()))
    return report
