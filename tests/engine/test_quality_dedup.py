"""Near-duplicate detection: crafted zh/en near-duplicates, keeper choice, and scale."""

from __future__ import annotations

import random

import numpy as np

from engine.quality.dedup import (
    DedupConfig,
    bands_for,
    duplicate_flags,
    duplicate_groups,
    jaccard,
    shingles,
    signature,
)
from engine.quality.run import check_records
from engine.store import records
from engine.store.models import NewRecord, RecordKind, RecordStatus

EN_A = ("What does this longitudinal view of the right kidney show in the upper pole of the organ? "
        "A simple cortical cyst with a thin wall, posterior acoustic enhancement and no internal flow on color Doppler.")
EN_A2 = EN_A.replace("longitudinal", "sagittal")  # one word changed
EN_B = ("Which vessel is seen anterior to the spine in this transverse image of the upper abdomen? "
        "The abdominal aorta, with the inferior vena cava to its right and the superior mesenteric artery in front.")
ZH_A = "该声像图中肝右叶的病变最可能是什么？肝右叶单纯性囊肿，呈类圆形无回声区，边界清晰，壁薄光滑，后方回声增强，彩色多普勒未见血流信号。"
ZH_A2 = ZH_A.replace("类圆形", "圆形")  # a small edit
ZH_B = "甲状腺右叶结节的超声特征提示什么？结节呈极低回声，纵横比大于1，边缘呈毛刺状，内见微钙化，提示恶性可能性大，建议细针穿刺活检。"


def test_shingles_are_cjk_aware():
    s = shingles("肝右叶囊肿, CDFI shows no Flow.")
    assert {"肝右叶", "右叶囊", "叶囊肿"} <= s
    assert {"cdfi shows", "shows no", "no flow"} <= s
    assert not any("," in x or "." in x for x in s)
    assert shingles("") == frozenset()
    assert shingles("肝") == frozenset({"肝"})


def test_minhash_estimates_jaccard():
    a, b = shingles(ZH_A), shingles(ZH_A2)
    true = jaccard(a, b)
    est = float(np.mean(signature(a, 256, 7) == signature(b, 256, 7)))
    assert abs(est - true) < 0.12
    assert (signature(a, 64, 1) == signature(a, 64, 1)).all()  # seeded: same every time


def test_bands_catch_pairs_at_threshold():
    bands, rows = bands_for(0.8, 128)
    assert bands * rows <= 128
    assert 1 - (1 - 0.8**rows) ** bands >= 0.995


def test_groups_on_crafted_records():
    items = [(1, EN_A), (2, EN_B), (3, EN_A2), (4, ZH_A), (5, ZH_B), (6, ZH_A2), (7, ZH_A), (8, "")]
    assert duplicate_groups(items) == [[1, 3], [4, 6, 7]]
    assert jaccard(shingles(EN_A), shingles(EN_B)) < 0.2
    # a stricter threshold separates the edited ones, exact copies stay together
    assert duplicate_groups(items, DedupConfig(threshold=0.99)) == [[4, 7]]


def _rec(text: str, **kw) -> NewRecord:
    question, _, answer = text.partition("？") if "？" in text else text.partition("? ")
    return NewRecord(kind=RecordKind.VQA, question=question, answer=answer or "x", **kw)


def test_keeper_accepted_then_score_then_oldest(project):
    ids = records.add_records(project, [
        _rec(EN_A), _rec(EN_A2, score=4.0), _rec(EN_A.replace("thin", "smooth"), status=RecordStatus.ACCEPTED),  # group 1
        _rec(ZH_A, language="zh"), _rec(ZH_A2, language="zh", score=5.0), _rec(ZH_A, language="zh", score=2.0),  # group 2
        _rec(EN_B), _rec(EN_B.replace("spine", "vertebra")),  # group 3: no status, no score: oldest wins
        _rec(ZH_B, language="zh"), _rec(ZH_B.replace("极低", "低"), language="zh", status=RecordStatus.REJECTED),
    ])
    flags = duplicate_flags(records.list_records(project))
    assert flags == {
        ids[0]: f"near_duplicate:{ids[2]}", ids[1]: f"near_duplicate:{ids[2]}",
        ids[3]: f"near_duplicate:{ids[4]}", ids[5]: f"near_duplicate:{ids[4]}",
        ids[7]: f"near_duplicate:{ids[6]}",
    }  # the rejected near-copy of ZH_B takes no part


def test_check_records_flags_duplicates_across_the_project(project):
    old = records.add_records(project, [_rec(EN_A), _rec(EN_B)])
    new = records.add_records(project, [_rec(EN_A2)])
    report = check_records(project, new)  # only the new record is checked, against all of them
    assert report.checked == 1 and report.duplicates == 1
    assert report.by_flag == {"near_duplicate": 1}
    assert records.get_record(project, new[0]).flags == (f"near_duplicate:{old[0]}",)
    assert records.get_record(project, old[0]).flags == ()
    # accepting the newer one makes it the keeper on the next full pass
    records.update_record(project, new[0], status=RecordStatus.ACCEPTED)
    check_records(project)
    assert records.get_record(project, new[0]).flags == ()
    assert records.get_record(project, old[0]).flags == (f"near_duplicate:{new[0]}",)
    assert records.count_records(project) == 3


_EN_WORDS = ["liver", "kidney", "cyst", "lesion", "echo", "flow", "vessel", "wall", "margin", "nodule", "duct", "spleen", "aorta", "thyroid", "artery", "vein", "hypoechoic", "hyperechoic", "anechoic", "solid", "mixed", "calcified", "smooth", "irregular", "shadow", "enhancement", "doppler", "upper", "lower", "left", "right", "anterior", "posterior", "pole", "lobe", "cortex", "capsule", "septum", "debris", "fluid"]
_ZH_CHARS = "肝肾脾胆胰甲状腺乳腺囊肿结节低回声高无边界清晰血流信号钙化增强衰减左右上下前后壁厚薄光滑不规则"


def _random_text(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return " ".join(rng.choice(_EN_WORDS) for _ in range(rng.randint(25, 40)))
    return "".join(rng.choice(_ZH_CHARS) for _ in range(rng.randint(40, 70)))


def _perturb(text: str, rng: random.Random) -> str:
    if " " in text:
        words = text.split()
        words[rng.randrange(len(words))] = "perturbed"
        return " ".join(words)
    i = rng.randrange(len(text))
    return text[:i] + "变" + text[i + 1 :]


def test_scale_finds_planted_duplicates_and_no_false_groups():
    rng = random.Random(42)
    items = [(i, _random_text(rng)) for i in range(5000)]
    planted = []
    for k in range(40):
        src_id, src = items[k * 100]
        copy_id = 10_000 + k
        items.append((copy_id, _perturb(src, rng)))
        planted.append(sorted([src_id, copy_id]))
    groups = duplicate_groups(items)
    # every group found is confirmed by exact Jaccard, and the planted ones are all there
    found = [g for g in groups if g in planted]
    assert len(found) == len(planted)
    texts = dict(items)
    for g in groups:
        sets = [shingles(texts[i]) for i in g]
        assert max(jaccard(sets[0], s) for s in sets[1:]) >= 0.8 or len(g) > 2
    assert groups == sorted(planted)  # random texts are not near-duplicates of each other
