"""Rule checks on crafted records, zh and en, each rule firing and not firing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.errors import NotFoundError
from engine.quality import rules
from engine.quality.rules import RULES, RuleConfig, check_record, cjk_share
from engine.quality.run import check_records, merge_flags
from engine.store import records
from engine.store.models import NewRecord, RecordKind, RecordStatus

EN_VQA = NewRecord(
    kind=RecordKind.VQA,
    language="en",
    reasoning=True,
    question="What does this longitudinal view of the right kidney show?",
    thinking=(
        "The kidney has a smooth outline. In the upper pole there is a round anechoic area with a thin wall "
        "and posterior acoustic enhancement; CDFI shows no internal flow, so it is a simple cyst."
    ),
    answer="A simple cortical cyst (about 2.3 cm) in the upper pole of the right kidney (RK).",
)
ZH_VQA = NewRecord(
    kind=RecordKind.VQA,
    language="zh",
    reasoning=True,
    question="该声像图中肝右叶的病变最可能是什么？",
    thinking="肝右叶内可见一类圆形无回声区，边界清晰，壁薄光滑，后方回声增强，CDFI示其内未见血流信号，符合单纯性囊肿的表现。",
    answer="肝右叶单纯性囊肿，大小约2.3 cm×1.8 cm，CDFI未见血流。",
)
EN_MCQ = NewRecord(
    kind=RecordKind.MCQ,
    language="en",
    reasoning=True,
    question="Which diagnosis best fits the lesion in this image?",
    options=("Simple cyst", "Hemangioma", "Metastasis", "Abscess"),
    correct="A",
    answer="A. Simple cyst",
    thinking="The lesion is anechoic with a thin wall and posterior enhancement and has no flow on CDFI, which rules out the solid options.",
)
ZH_MCQ = replace(
    EN_MCQ,
    language="zh",
    question="该图像中病变最可能的诊断是？",
    options=("单纯性囊肿", "血管瘤", "转移瘤", "脓肿", "肝细胞癌"),
    correct="B",
    answer="B. 血管瘤",
    thinking="病变呈高回声，边界清晰，内部呈网格状，CDFI示周边点状血流，不符合囊肿、脓肿及恶性病变的表现，故选血管瘤。",
)
GOOD = [EN_VQA, ZH_VQA, EN_MCQ, ZH_MCQ]


@pytest.mark.parametrize("rec", GOOD, ids=["en-vqa", "zh-vqa", "en-mcq", "zh-mcq"])
def test_good_records_raise_no_flag(rec):
    assert check_record(rec) == []


@pytest.mark.parametrize(
    "rec, flag",
    [
        (replace(EN_VQA, question="  "), "missing:question"),
        (replace(ZH_VQA, answer=""), "missing:answer"),
        (replace(EN_MCQ, options=(), correct=""), "missing:options+correct"),
        (replace(ZH_MCQ, correct=""), "missing:correct"),
    ],
)
def test_required_fields(rec, flag):
    assert rules.required_fields(rec, RuleConfig()) == flag
    assert flag in check_record(rec)


def test_options_are_not_required_of_qa():
    assert rules.required_fields(EN_VQA, RuleConfig()) is None
    assert rules.required_fields(replace(EN_VQA, kind=RecordKind.QA), RuleConfig()) is None


@pytest.mark.parametrize("base", [EN_VQA, ZH_VQA], ids=["en", "zh"])
def test_thinking_rule(base):
    cfg = RuleConfig()
    assert rules.thinking_present(base, cfg) is None
    assert rules.thinking_present(replace(base, thinking=" \n"), cfg) == "no_thinking"
    assert rules.thinking_present(replace(base, thinking="Cyst." if base.language == "en" else "囊肿。"), cfg) == "trivial_thinking"
    assert rules.thinking_present(replace(base, thinking=base.answer), cfg) == "trivial_thinking"
    # not a reasoning record: no thinking needed
    assert rules.thinking_present(replace(base, reasoning=False, thinking=""), cfg) is None


def test_correct_letter_rule():
    cfg = RuleConfig()
    assert rules.correct_letter(EN_MCQ, cfg) is None
    assert rules.correct_letter(replace(EN_MCQ, correct="E", answer="E. Simple cyst"), cfg) == "bad_letter"  # 4 options: A-D
    assert rules.correct_letter(replace(ZH_MCQ, correct="E", answer="E. 肝细胞癌"), cfg) is None  # 5 options: E exists
    assert rules.correct_letter(replace(EN_MCQ, correct="AB"), cfg) == "bad_letter"
    assert rules.correct_letter(replace(EN_MCQ, correct="b"), cfg) == "bad_letter"  # answer says A
    assert rules.correct_letter(replace(EN_MCQ, correct="C", answer="C. Metastasis"), cfg) is None
    assert rules.correct_letter(replace(EN_MCQ, options=("Cyst", "Hemangioma", "Abscess")), cfg) == "bad_options"
    assert rules.correct_letter(replace(EN_MCQ, options=tuple("ABCDEF")), cfg) == "bad_options"
    assert rules.correct_letter(EN_VQA, cfg) is None


def test_language_share_is_robust_to_abbreviations_and_numbers():
    zh_heavy_abbrev = "CDFI示LK下极低回声，PSV 45 cm/s，RI 0.72，T2WI高信号"
    share, _ = cjk_share(zh_heavy_abbrev)
    assert share > 0.9
    en, _ = cjk_share("CDFI shows flow in the LK lower pole, PSV 45 cm/s, 7.5MHz probe")
    assert en == 0.0


@pytest.mark.parametrize(
    "rec, flagged",
    [
        (ZH_VQA, False),
        (EN_VQA, False),
        (replace(ZH_VQA, question="CDFI示LK下极低回声结节，最可能是什么？", answer="LK错构瘤，PSV 45 cm/s。"), False),
        (replace(EN_VQA, answer="A simple cyst of the right kidney, called 肾囊肿 in Chinese."), False),
        (replace(ZH_VQA, question=EN_VQA.question, answer=EN_VQA.answer, thinking=EN_VQA.thinking), True),
        (replace(EN_VQA, question=ZH_VQA.question, answer=ZH_VQA.answer), True),
        (replace(ZH_VQA, question="What is the lesion?", answer="单纯性囊肿"), True),  # mostly English
        (replace(EN_VQA, question="CDFI?", answer="LK"), False),  # too little to judge
    ],
)
def test_language_rule(rec, flagged):
    assert (rules.language_matches(rec, RuleConfig()) == "wrong_language") is flagged


def test_length_rules_and_config():
    cfg = RuleConfig()
    assert rules.length_rule("question")(replace(EN_VQA, question="Cyst?"), cfg) == "too_short:question"
    assert rules.length_rule("question")(replace(ZH_VQA, question="诊断？"), cfg) == "too_short:question"
    assert rules.length_rule("question")(replace(ZH_VQA, question="最可能的诊断？"), cfg) is None  # 7 CJK = 14 units
    assert rules.length_rule("answer")(replace(EN_VQA, answer="x" * 4001), cfg) == "too_long:answer"
    assert rules.length_rule("answer")(replace(ZH_VQA, answer="囊" * 2001), cfg) == "too_long:answer"
    assert rules.length_rule("answer")(replace(ZH_VQA, answer="囊" * 2000), cfg) is None
    assert rules.length_rule("thinking")(replace(EN_VQA, thinking="y" * 12001), cfg) == "too_long:thinking"
    assert rules.length_rule("thinking")(replace(EN_VQA, thinking="short"), cfg) is None  # the thinking rule's job
    tight = RuleConfig(max_answer=20)
    assert "too_long:answer" in check_record(EN_VQA, tight)
    assert rules.length_rule("answer")(replace(EN_VQA, answer="x" * 9999), RuleConfig(max_answer=0)) is None


@pytest.mark.parametrize(
    "text",
    ["如图3-1所示的病变", "见图 3，肝右叶", "表2中的测量值", "参见第12页", "As seen in Figure 3-1, the kidney",
     "the lesion in Fig. 2 is", "Table 4 lists the values", "figs. 5a show", "see page 12"],
)
def test_figure_refs_fire(text):
    base = ZH_VQA if any("\u4e00" <= c <= "\u9fff" for c in text) else EN_VQA
    assert rules.no_figure_refs(replace(base, answer=text), RuleConfig()) == "figure_ref"
    assert rules.no_figure_refs(replace(base, question=text), RuleConfig()) == "figure_ref"


@pytest.mark.parametrize(
    "text",
    ["该图像显示肝右叶低回声", "图像中可见3个结节，大小约2 cm", "The figure shows a 3 cm cyst", "Type 2 diabetes with 4 lesions",
     "A table-like flat surface"],
)
def test_figure_refs_do_not_fire(text):
    base = ZH_VQA if any("\u4e00" <= c <= "\u9fff" for c in text) else EN_VQA
    assert rules.no_figure_refs(replace(base, answer=text), RuleConfig()) is None


def test_figure_refs_in_options():
    rec = replace(EN_MCQ, options=("Simple cyst", "The lesion of Figure 2", "Metastasis", "Abscess"))
    assert rules.no_figure_refs(rec, RuleConfig()) == "figure_ref"


@pytest.mark.parametrize(
    "text",
    ["As shown in the book, this is a cyst.", "The answer is given in the caption.", "According to the text, the lesion is benign.",
     "The passage states that it is a cyst.", "This atlas describes it as a cyst.",
     "如书中所示，该病变为囊肿。", "根据图注，该病变为囊肿。", "本书认为是囊肿。", "文中提到该病变为囊肿。"],
)
def test_self_refs_fire(text):
    base = ZH_VQA if any("\u4e00" <= c <= "\u9fff" for c in text) else EN_VQA
    assert rules.no_self_refs(replace(base, answer=text), RuleConfig()) == "self_ref"


@pytest.mark.parametrize(
    "text",
    ["As shown in this image, the cyst is anechoic.", "The text burned into the frame reads LK.",
     "如图所示，该病变为囊肿。", "中文中描述", "The caption-free image shows a cyst."],
)
def test_self_refs_do_not_fire(text):
    base = ZH_VQA if any("\u4e00" <= c <= "\u9fff" for c in text) else EN_VQA
    assert rules.no_self_refs(replace(base, answer=text), RuleConfig()) is None


def test_a_new_rule_is_one_function_and_one_entry():
    def no_todo(rec, config):
        return "todo" if "TODO" in rec.answer else None

    custom = [*RULES, no_todo]
    assert check_record(replace(EN_VQA, answer="TODO later"), rules=custom)[-1] == "todo"
    assert check_record(EN_VQA, rules=custom) == []


def test_merge_flags_keeps_other_flags():
    owned = frozenset({"figure_ref", "near_duplicate"})
    assert merge_flags(("figure_ref", "low_score", "mine"), ["near_duplicate:3"], owned) == ("low_score", "mine", "near_duplicate:3")
    assert merge_flags(("mine",), ["mine"], owned) == ("mine",)


def test_check_records_writes_flags_and_never_deletes(project):
    bad = replace(ZH_VQA, answer="如图3-1所示，本书认为是肝囊肿。", flags=("low_score", "mine"))
    ids = records.add_records(project, [EN_VQA, bad, replace(EN_MCQ, correct="E"), ZH_MCQ])
    report = check_records(project, use_dedup=False)
    assert report.checked == 4 and report.flagged == 2 and report.changed == 2
    assert report.by_flag == {"bad_letter": 1, "figure_ref": 1, "self_ref": 1}
    assert records.get_record(project, ids[1]).flags == ("low_score", "mine", "figure_ref", "self_ref")
    assert records.get_record(project, ids[2]).flags == ("bad_letter",)
    assert records.get_record(project, ids[0]).flags == ()
    # fixing a record and checking again clears the rule flags it no longer earns, keeps the others
    records.update_record(project, ids[1], answer="肝右叶单纯性囊肿。")
    again = check_records(project, [ids[1]], use_dedup=False)
    assert again.checked == 1 and again.changed == 1 and again.flagged == 0
    assert records.get_record(project, ids[1]).flags == ("low_score", "mine")
    assert records.count_records(project) == 4
    # a second pass with nothing new writes nothing
    assert check_records(project, use_dedup=False).changed == 0


def test_check_records_unknown_id(project):
    records.add_records(project, [EN_VQA])
    with pytest.raises(NotFoundError):
        check_records(project, [999])


def test_rejected_status_is_still_rule_checked(project):
    rid = records.add_records(project, [replace(EN_VQA, status=RecordStatus.REJECTED, answer="See Table 4.")])[0]
    check_records(project)
    assert "figure_ref" in records.get_record(project, rid).flags
