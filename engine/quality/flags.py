"""Quality flags in words, for reviewers: `describe_flag("too_long:answer")` -> "The answer is too long."

The flags themselves ("missing:options+correct", "near_duplicate:12", "low_score") are data:
stored on records, filtered by prefix, matched by code; they are never translated. This is
their sentence in the current language, for a tooltip or a report. An unknown flag (a
person's own) is returned as it is.
"""

from __future__ import annotations

from engine.i18n import N_, tr

# The record fields a flag may name ("missing:question+answer", "too_short:thinking").
_FIELDS = {
    "question": N_("question"),
    "answer": N_("answer"),
    "thinking": N_("thinking"),
    "options": N_("options"),
    "correct": N_("correct letter"),
}


def _field(name: str) -> str:
    return tr(_FIELDS[name]) if name in _FIELDS else name


def describe_flag(flag: str) -> str:
    """One sentence saying what `flag` means for the record, in the current language."""
    prefix, _, arg = flag.partition(":")
    if prefix == "missing":
        # Translators: the separator between the names of missing record fields ("question, answer").
        separator = tr(", ")
        fields = separator.join(_field(f) for f in arg.split("+") if f)
        # Translators: {fields} lists record fields, e.g. "question, answer".
        return tr("Missing: {fields}.").format(fields=fields)
    if prefix == "too_short":
        return tr("The {field} is too short.").format(field=_field(arg))
    if prefix == "too_long":
        return tr("The {field} is too long.").format(field=_field(arg))
    if prefix == "near_duplicate":
        return tr("A near-duplicate of record {id}, which is kept.").format(id=arg)
    sentences = {
        "no_thinking": N_("A reasoning record without a thinking trace."),
        "trivial_thinking": N_("The thinking is too short, or only repeats the question or the answer."),
        "bad_options": N_("A multiple-choice question needs 4 or 5 options."),
        "bad_letter": N_("The correct letter names none of the options, or disagrees with the answer."),
        "wrong_language": N_("The text is not in the record's language."),
        "figure_ref": N_("It refers to a figure, table or page number the trained model will not see."),
        "self_ref": N_("It refers to the book, the text or the caption instead of standing on its own."),
        "low_score": N_("The judge scored it below the threshold."),
    }
    return tr(sentences[prefix]) if prefix in sentences and not arg else flag
