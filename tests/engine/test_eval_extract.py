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
        "<answer>a cyst</answer>",  # the tag's content names no option: "a" is the article
        "<answer>A cyst with a thin wall</answer>",
        "The answer is not A.",  # the only letter is rejected
        "排除A，其余选项也无法判断。",
        "I choose a different approach.",  # "a" runs into a word
    ],
)
def test_unparseable(text):
    assert extract_answer(text, ABCD) is None


def test_only_the_questions_letters_count():
    assert extract_answer("Answer: E", ("A", "B", "C", "D", "E")) == "E"
    assert extract_answer("Answer: E", ("A", "B")) is None
    assert extract_answer("C", ["a", "b", "c"]) == "C"  # letters given in any case


# Outputs a reviewer found misread (each used to give "A"), then realistic model outputs that
# explain by naming several options before or after the one they choose.
@pytest.mark.parametrize(
    "text, expected",
    [
        # --- reviewer cases
        ("答案是：B，而不是A", "B"),
        ("答案为：C。A选项描述的是单纯囊肿。", "C"),
        ("正确答案：（B），A不对", "B"),
        ("选项B正确，选项A错误", "B"),
        ("The correct option is C, not A.", "C"),
        ("I choose B because option A describes an anechoic lesion.", "B"),
        ("<answer>a cyst</answer>", None),
        # --- English
        (
            "<think>Option A describes a simple cyst, but the lesion has thick septations, "
            "so C fits.</think>\nThe correct option is C. Option A would be anechoic.",
            "C",
        ),
        ("Looking at the image, A and D can be ruled out. Therefore, I choose B; A is a trap.", "B"),
        ("The lesion is hyperechoic. Option A is incorrect; option C is unlikely. Final answer: B", "B"),
        ("D fits the Doppler findings best, not B.", "D"),
        ("The best answer is (D), hepatic hemangioma. A would show posterior enhancement.", "D"),
        ("A cyst would be anechoic, so it is not A. It is B.", "B"),
        (
            "<think>Could be A or C. The wall is thick, so C.</think>\n\n**Answer:** C\n\n"
            "A is less likely because the wall is thin in simple cysts.",
            "C",
        ),
        ("I'd pick option B; options A and C do not match the echogenicity.", "B"),
        ("The findings suggest B. We can rule out A and D.", "B"),
        ("The answer is B. Option A is correct only in children.", "B"),  # the answer phrase first
        ("Option B is not correct; option D is the correct one, while A is wrong.", "D"),
        ("C is the answer since A and B are both wrong.", "C"),
        ("The right choice is d.", "D"),
        ("<answer>Option C</answer>", "C"),
        ("<answer>a</answer>", "A"),
        ("Is C correct? No. B is the best fit, not C.", "B"),
        # --- Chinese
        ("<think>A是单纯囊肿，不符合。</think>根据超声表现，正确选项是D。A、B均不符合。", "D"),
        ("该病灶边界清晰，后方回声增强，考虑为囊肿，故选C。A、B均不符合。", "C"),
        ("分析：A选项错误，因为病灶为实性；B选项正确。", "B"),
        ("C的回声特点不符合，排除C和D，应该选B。A不考虑。", "B"),
        ("根据声像图特点，B更符合，而不是C。", "B"),
        ("B更合适，不选A。", "B"),
        ("正确答案是【C】", "C"),
        ("答案：b。", "B"),
        ("<think>\n选项A正确吗？A为囊肿，但病灶有血流。\n</think>\n<answer>（D）</answer>", "D"),
        ("A不对称的说法不准确，答案应该是A", "A"),
    ],
)
def test_reviewed_and_realistic_outputs(text, expected):
    assert extract_answer(text, ABCD) == expected


def test_a_negated_letter_is_never_the_fallback():
    assert extract_answer("Not A or C; between B and D it is B, rather than D", ABCD) == "B"
    assert extract_answer("排除A、C、D", ABCD) is None  # every letter named is rejected
    assert extract_answer("不是A", ABCD) is None
    # a phrase still decides over a rejection elsewhere
    assert extract_answer("A is wrong at first sight, but the answer is A.", ABCD) == "A"
