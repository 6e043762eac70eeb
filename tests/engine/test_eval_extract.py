"""Answer extraction on crafted model outputs: every rule, and what must stay unparseable."""

from __future__ import annotations

import pytest

from engine.eval.extract import extract_answer

ABCD = ("A", "B", "C", "D")


@pytest.mark.parametrize(
    "text, expected",
    [
        # <answer> tags: the last one wins; letter case, brackets and option text are tolerated
        ("<answer>B</answer>", "B"),
        ("<answer>b</answer>", "B"),
        ("<answer> (C) </answer>", "C"),
        ("<answer>D. Hepatic cyst</answer>", "D"),
        ("First <answer>A</answer>, on reflection <answer>C</answer>", "C"),
        ("<ANSWER>B</ANSWER>", "B"),
        ("<answer>The answer is c</answer>", "C"),
        ("Answer: A. Final: <answer>D</answer>", "D"),  # a tag beats an earlier phrase
        # "Answer: X" and "answer is X" phrases, English and Chinese
        ("Answer: B", "B"),
        ("answer: c", "C"),
        ("The correct answer is D.", "D"),
        ("The answer is (B)", "B"),
        ("So the answer is **C**, because…", "C"),
        ("答案：C", "C"),
        ("答案是D。", "D"),
        ("综上，答案为A", "A"),
        ("Answer: A, no wait, Answer: B", "B"),  # the last phrase wins
        ("The answer is a bit unclear, but B fits best", "B"),  # "a bit" is not option A
        ("Answer: E. Answer: C", "C"),  # E is not an option: skipped
        # the last standalone option letter
        ("I would pick (B).", "B"),
        ("B. The liver", "B"),
        ("Between A and C, I choose C", "C"),
        ("A hypoechoic mass, so B. A cyst is likely.", "B"),  # sentence-initial "A cyst" is the article
        ("A is correct", "A"),
        ("Options B and F: F", "B"),  # F is not an option
        # thinking: only the text after a closed </think> counts
        ("<think>The answer is A</think>\n\nThe answer is C", "C"),
        ("<think>\nAnswer: A\n</think>\n\n<answer>D</answer>", "D"),
        ("<think>maybe A</think><think>or B</think> final: C", "C"),
        ("<think>I think B but running out of tokens <answer>D</answer>", "D"),  # unclosed, but a tag exists
    ],
)
def test_rules(text, expected):
    assert extract_answer(text, ABCD) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "I am not sure.",
        "the answer is a mystery",  # lowercase 'a' running into a word
        "The answer is E",  # not an option
        "<answer>F</answer> so B",  # the last tag holds no option: the model's own answer is invalid
        "<answer>none of them</answer>",
        "<think>It is clearly B and also C",  # unclosed thinking, no tag
        "<think>Answer: B</think>\n\n",  # the letter is only inside the thinking
        "a b c d",  # lowercase letters are words, not options
    ],
)
def test_unparseable(text):
    assert extract_answer(text, ABCD) is None


def test_only_the_questions_letters_count():
    assert extract_answer("Answer: E", ("A", "B", "C", "D", "E")) == "E"
    assert extract_answer("Answer: E", ("A", "B")) is None
    assert extract_answer("C", ["a", "b", "c"]) == "C"  # letters given in any case
