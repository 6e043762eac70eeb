"""Quality of synthesized records: rule checks, near-duplicates and an LLM judge.

Records are flagged, never deleted:
- engine.quality.rules: small rule functions, `check_record(record) -> [flags]`;
- engine.quality.dedup: MinHash + LSH near-duplicate groups, `duplicate_flags(records)`;
- engine.quality.run: `check_records(project, ids=None)` writes rule and duplicate flags;
- engine.quality.judge: `judge_records(project, synth)` stores a 1-5 `score` and "low_score";
- engine.quality.flags: `describe_flag(flag)`, a flag as a sentence for reviewers (translated).
"""

from engine.quality.dedup import DedupConfig, duplicate_flags, duplicate_groups
from engine.quality.flags import describe_flag
from engine.quality.rules import RULES, RuleConfig, check_record
from engine.quality.run import CheckReport, check_records

__all__ = [
    "RULES",
    "CheckReport",
    "DedupConfig",
    "RuleConfig",
    "check_record",
    "check_records",
    "describe_flag",
    "duplicate_flags",
    "duplicate_groups",
]
