"""The budget-forcing controller on its own: fed token texts, it decides waits and cuts (no model needed)."""

from __future__ import annotations

import pytest

from engine.chat.budget import BudgetController, BudgetSettings, Phase
from engine.chat.errors import BudgetSettingsError


def run(controller: BudgetController, pieces: list[str], *, wait_tokens: int = 2) -> list[tuple[str, int, int, str]]:
    """Feed pieces; for every action record (kind, thinking tokens when it fired, tokens dropped, text injected)."""
    log = []
    for piece in pieces:
        if controller.phase != Phase.THINKING:
            break
        action = controller.feed(piece)
        while action is not None:
            log.append((action.kind, controller.thinking_tokens, action.drop_tokens, action.inject))
            n = wait_tokens if action.kind == "wait" else 3
            action = controller.injected(action.inject, n)
    return log


def test_early_close_gets_the_wait_string_exactly_num_waits_times():
    c = BudgetController(BudgetSettings(min_thinking_tokens=10, num_waits=2))
    log = run(c, ["a", "b", "</think>", "c", "</think>", "d", "</think>", "answer"])
    # tag after 2 tokens -> wait (2 tokens) -> 5 thinking tokens, tag -> wait -> 8, tag: no waits left
    assert [entry[:3] for entry in log] == [("wait", 2, 1), ("wait", 5, 1)]
    assert c.waits == 2 and c.phase == Phase.ANSWER
    assert c.thinking_tokens == 2 + 2 + 1 + 2 + 1
    assert c.thinking_text == "abWait,cWait,d"


def test_close_after_the_minimum_is_accepted_and_text_after_the_tag_starts_the_answer():
    c = BudgetController(BudgetSettings(min_thinking_tokens=3))
    assert run(c, ["x", "y", "z", "</think>\nThe"]) == []
    assert c.phase == Phase.ANSWER and c.waits == 0
    assert c.thinking_tokens == 3 and c.thinking_text == "xyz"
    assert c.answer_start == "\nThe"


def test_closing_tag_split_over_tokens_is_found_held_back_and_taken_back_whole():
    c = BudgetController(BudgetSettings(min_thinking_tokens=50, num_waits=1))
    c.feed("Kidney.")
    assert c.take_display_text() == "Kidney."
    assert c.feed(" </") is None
    assert c.take_display_text() == " "          # "</" might be the start of the tag: not shown yet
    assert c.feed("think") is None
    action = c.feed(">")
    assert action is not None and action.kind == "wait"
    assert action.drop_tokens == 3               # " </", "think", ">" are taken back
    assert action.inject == " Wait,"              # the space before the tag comes back with the wait
    c.injected(action.inject, 2)
    assert c.thinking_text == "Kidney. Wait,"
    assert c.take_display_text() == "Wait,"       # the space was already shown
    assert c.thinking_tokens == 3


def test_maximum_cuts_in_at_exactly_max_thinking_tokens():
    c = BudgetController(BudgetSettings.from_mode("max", max_thinking_tokens=5, answer_prefix="Answer:"))
    log = run(c, ["t"] * 20)
    assert log == [("cut", 5, 0, "\n</think>\nAnswer:")]
    assert c.max_cut_in and c.phase == Phase.ANSWER and c.thinking_tokens == 5


def test_wait_that_reaches_the_maximum_is_followed_by_the_cut():
    c = BudgetController(BudgetSettings.from_mode("both", min_thinking_tokens=4, max_thinking_tokens=4))
    log = run(c, ["a", "b", "</think>"], wait_tokens=2)
    assert [entry[0] for entry in log] == ["wait", "cut"]
    assert c.thinking_tokens == 4 and c.max_cut_in


def test_a_wait_that_would_pass_the_maximum_is_not_inserted():
    c = BudgetController(BudgetSettings.from_mode("both", min_thinking_tokens=4, max_thinking_tokens=5),
                         count_tokens=lambda data: 3)
    log = run(c, ["a", "b", "c", "</think>", "answer"], wait_tokens=3)
    assert log == [] and c.phase == Phase.ANSWER and c.waits == 0
    assert c.thinking_tokens == 3 and not c.max_cut_in  # the model's own close stands: 3 + 3 > 5


def test_the_wait_is_counted_with_the_leftover_it_is_injected_with():
    # the maximum lands inside the wait: "Wait," alone (2 tokens) would fit, " Wait," (one byte per token: 6) does not
    counted = []

    def count(data: bytes) -> int:
        counted.append(data)
        return len(data)

    c = BudgetController(BudgetSettings.from_mode("both", min_thinking_tokens=4, max_thinking_tokens=5), count_tokens=count)
    assert run(c, ["a", " </think>"]) == []
    assert counted == [b" Wait,"] and c.waits == 0 and c.thinking_tokens == 1 and not c.max_cut_in


def test_a_wait_is_counted_only_once_injected():
    c = BudgetController(BudgetSettings(min_thinking_tokens=10, num_waits=2))
    action = c.feed("</think>")
    assert action is not None and action.kind == "wait"
    assert c.waits == 0  # the engine may find it does not fit the context and never inject it
    c.injected(action.inject, 2)
    assert c.waits == 1


def test_the_leftover_comes_from_the_bytes_of_the_tags_first_token():
    # "é" is split over two tokens: b"\xc3" (kept) and b"\xa9</think>"; only b"\xa9" is evaluated again
    c = BudgetController(BudgetSettings(min_thinking_tokens=10, num_waits=1))
    assert c.feed("", b"\xc3") is None
    action = c.feed("é</think>", b"\xa9</think>")
    assert action is not None and action.drop_tokens == 1
    assert action.evaluate == b"\xa9Wait," and action.inject == "éWait,"
    c.injected(action.inject, 3)
    assert c.thinking_text == "éWait,"


def test_a_turn_that_ends_inside_unclosed_thinking_is_the_answer():
    c = BudgetController(BudgetSettings.from_mode("off"))
    for piece in ["The", " kidney", "."]:
        assert c.feed(piece) is None
    assert c.feed_end() is None
    assert c.phase == Phase.ANSWER and c.unclosed_answer and not c.closed
    assert c.answer_start == "The kidney." and c.thinking_text == "" and c.thinking_tokens == 0


def test_a_turn_that_ends_in_thinking_after_a_wait_keeps_its_thinking_and_is_closed():
    c = BudgetController(BudgetSettings(min_thinking_tokens=3, num_waits=1))
    action = c.feed_end()
    c.injected(action.inject, 2)
    c.feed("x")
    action = c.feed_end()  # the minimum (3) is reached: the controller closes the thinking, the model answers
    assert action is not None and action.kind == "close" and action.inject == "\n</think>\n"
    assert action.drop_tokens == 0 and action.evaluate == b"\n</think>\n"
    assert c.injected(action.inject, 3) is None
    assert c.phase == Phase.ANSWER and c.closed and not c.max_cut_in and not c.unclosed_answer
    assert c.thinking_text == "Wait,x" and c.thinking_tokens == 3  # the closing tokens are not thinking tokens


def test_end_of_turn_while_thinking_counts_as_an_early_close():
    c = BudgetController(BudgetSettings(min_thinking_tokens=10, num_waits=1, wait="等等，"))
    c.feed("a")
    action = c.feed_end()
    assert action is not None and action.inject == "等等，" and action.drop_tokens == 0
    c.injected(action.inject, 3)
    action = c.feed_end()  # below the minimum but no wait left: closed all the same, the model answers
    assert action is not None and action.kind == "close" and c.phase == Phase.ANSWER and c.waits == 1
    assert c.thinking_tokens == 4 and c.thinking_text == "a等等，"


def test_end_of_turn_past_the_minimum_without_a_wait_is_thinking_not_the_answer():
    # the case of `remud chat --min-think 40 --max-think 60`: the model wrote 50 tokens and ended its turn
    # without a closing tag; with the minimum on, those are thinking tokens (not an answer with 0 thinking)
    c = BudgetController(BudgetSettings.from_mode("both", min_thinking_tokens=40, max_thinking_tokens=60,
                                                  num_waits=20, answer_prefix="Answer:"))
    for _ in range(50):
        assert c.feed("x") is None
    action = c.feed_end()
    assert action is not None and action.kind == "close" and action.inject == "\n</think>\nAnswer:"
    assert c.thinking_tokens == 50 and c.waits == 0 and not c.unclosed_answer and c.answer_start == ""
    assert c.closed and not c.max_cut_in


@pytest.mark.parametrize("mode", ["off", "max"])
def test_without_minimum_an_early_close_is_accepted(mode):
    c = BudgetController(BudgetSettings.from_mode(mode))
    assert c.feed("</think>") is None
    assert c.phase == Phase.ANSWER and c.waits == 0 and c.thinking_tokens == 0


def test_no_thinking_section_starts_in_the_answer():
    c = BudgetController(BudgetSettings(think_open=""))
    assert c.phase == Phase.ANSWER and c.opening == ""


def test_contradicting_settings_are_refused_with_a_sentence():
    with pytest.raises(BudgetSettingsError, match="minimum"):
        BudgetSettings.from_mode("both", min_thinking_tokens=500, max_thinking_tokens=100)
    with pytest.raises(BudgetSettingsError):
        BudgetSettings.from_mode("sometimes")
    with pytest.raises(BudgetSettingsError):
        BudgetSettings(wait="")
    assert BudgetSettings().mode == "min"
    assert (BudgetSettings().min_thinking_tokens, BudgetSettings().num_waits) == (96, 2)
