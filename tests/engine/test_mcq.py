"""engine.mcq: one lettering, one option block and one letter reader for synthesis, rules, export and eval."""

from __future__ import annotations

import json

import pytest

from engine.eval.testset import load_testset
from engine.export.conversations import user_text
from engine.mcq import LETTERS, format_options, options_fit, parse_letter, question_prompt
from engine.quality.rules import check_record
from engine.store.models import NewRecord, Record, RecordKind

OPTIONS = ("Kidney", "Liver", "Spleen", "Pancreas")


@pytest.mark.parametrize("text", ["B", "b", "(B)", "（B）", "[B]", "B.", "B. Liver", "B) Liver", "B: Liver",
                                  "B：肝", "B、肝", " B . Liver"])
def test_parse_letter_reads_every_usual_way_of_naming_an_option(text):
    assert parse_letter(text, 4) == "B"


@pytest.mark.parametrize("text", ["", None, "Because", "A liver cyst", "E", "E. Other", "(Z)", "<answer>B</answer>"])
def test_parse_letter_rejects_words_and_letters_beyond_the_options(text):
    assert parse_letter(text, 4) is None


def test_format_options_and_the_option_count_range():
    assert LETTERS == "ABCDE"
    assert format_options(OPTIONS) == "A. Kidney\nB. Liver\nC. Spleen\nD. Pancreas"
    assert format_options({"A": "yes", "C": "no"}) == "A. yes\nC. no"
    assert question_prompt("Which organ?", OPTIONS[:2]) == "Which organ?\n\nA. Kidney\nB. Liver"
    assert [options_fit(n) for n in (1, 2, 5, 6)] == [False, True, True, False]


def test_the_training_prompt_and_the_evaluation_prompt_are_identical(tmp_path):
    rec = Record(kind=RecordKind.MCQ, question="Which organ is shown?", answer="B. Liver", options=OPTIONS,
                 correct="B", id=7)
    path = tmp_path / "mcq.jsonl"
    path.write_text(json.dumps({"id": "remud-7", "question": rec.question,
                                "options": dict(zip(LETTERS, OPTIONS)), "answer_label": "B. Liver"}) + "\n")
    (question,) = load_testset(path).questions
    assert question.answer == "B"  # a plain gold "B. Liver" is read as the letter
    assert question.prompt() == user_text(rec)


@pytest.mark.parametrize("gold", ["B", "b", "(B)", "B. Liver", "B) Liver", "B: Liver", "Liver", "<answer>B</answer>"])
def test_testset_gold_answers(tmp_path, gold):
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"question": "Which?\nA. Kidney\nB. Liver\nC. Spleen", "answer": gold}) + "\n")
    assert load_testset(path).questions[0].answer == "B"


def test_quality_rule_reads_the_letter_the_same_way():
    def rec(correct: str, answer: str) -> NewRecord:
        return NewRecord(kind=RecordKind.MCQ, question="Which organ is shown here?", answer=answer, options=OPTIONS,
                         correct=correct)

    assert "bad_letter" not in check_record(rec("B", "B. Liver"))
    assert "bad_letter" not in check_record(rec("(b)", "B) Liver"))
    assert "bad_letter" in check_record(rec("B", "C. Spleen"))
    assert "bad_letter" in check_record(rec("E", "E. Other"))
