"""Chat conversations in the project store: a real SQLite file, reopened to prove persistence."""

from __future__ import annotations

import pytest
from PIL import Image

from engine.errors import NotFoundError
from engine.store import Project, chats


def _image(path, color=(200, 10, 10)):
    Image.new("RGB", (16, 12), color).save(path)
    return path


def test_conversation_survives_reopen(project, tmp_path):
    s = chats.create_session(project, "Liver lesion", model="remud-7b.Q4_K_M.gguf", settings={"min_think": 96})
    rel = chats.store_image(project, _image(tmp_path / "scan.png"))
    chats.add_message(project, s.id, "user", "What is this?", image_path=rel)
    chats.add_message(project, s.id, "assistant", "A cyst.", thinking="Anechoic, thin wall…",
                      stats={"thinking_tokens": 41, "waits_inserted": 2})
    folder = project.folder
    project.close()
    with Project.open(folder) as p:
        (session,) = chats.list_sessions(p)
        assert (session.title, session.model, session.settings) == ("Liver lesion", "remud-7b.Q4_K_M.gguf",
                                                                    {"min_think": 96})
        user, answer = chats.list_messages(p, session.id)
        assert user.image_path == rel and chats.image_file(p, rel).read_bytes() == (tmp_path / "scan.png").read_bytes()
        assert (answer.content, answer.thinking, answer.stats["waits_inserted"]) == ("A cyst.", "Anechoic, thin wall…", 2)


def test_same_image_is_stored_once(project, tmp_path):
    a = chats.store_image(project, _image(tmp_path / "a.png"))
    b = chats.store_image(project, _image(tmp_path / "copy.png"))
    c = chats.store_image(project, _image(tmp_path / "other.png", (0, 0, 255)))
    assert a == b != c
    assert len(list((project.folder / chats.IMAGES_DIR).iterdir())) == 2


def test_search_rename_and_order(project):
    first = chats.create_session(project, "Thyroid nodule")
    second = chats.create_session(project, "Kidney")
    chats.add_message(project, second.id, "user", "Is the renal pelvis dilated?")
    assert [s.id for s in chats.list_sessions(project)] == [second.id, first.id]  # most recently used first
    assert [s.id for s in chats.list_sessions(project, "thyroid")] == [first.id]
    assert [s.id for s in chats.list_sessions(project, "PELVIS")] == [second.id]
    chats.update_session(project, first.id, title="Thyroid TI-RADS")
    assert chats.get_session(project, first.id).title == "Thyroid TI-RADS"


def test_commit_replaces_the_answer_and_what_follows_at_once(project, tmp_path):
    s = chats.create_session(project, "t")
    q1 = chats.add_message(project, s.id, "user", "q1")
    a1 = chats.add_message(project, s.id, "assistant", "a1")
    rel = chats.store_image(project, _image(tmp_path / "x.png"))
    chats.add_message(project, s.id, "user", "q2", image_path=rel)
    chats.add_message(project, s.id, "assistant", "a2")
    new = chats.commit_messages(project, s.id, [chats.NewMessage("assistant", "a1, again")], drop_from=a1.id)
    assert [m.id for m in chats.list_messages(project, s.id)] == [q1.id, new[0].id]
    assert new[0].content == "a1, again"
    assert not chats.image_file(project, rel).exists()  # no other message uses it


def test_delete_session_keeps_images_still_in_use(project, tmp_path):
    rel = chats.store_image(project, _image(tmp_path / "x.png"))
    a = chats.create_session(project, "a")
    b = chats.create_session(project, "b")
    chats.add_message(project, a.id, "user", "?", image_path=rel)
    chats.add_message(project, b.id, "user", "?", image_path=rel)
    chats.delete_session(project, a.id)
    assert chats.image_file(project, rel).exists()
    chats.delete_session(project, b.id)
    assert not chats.image_file(project, rel).exists()
    assert chats.list_sessions(project) == []


def test_missing_ids(project, tmp_path):
    with pytest.raises(NotFoundError):
        chats.add_message(project, 999, "user", "x")
    with pytest.raises(NotFoundError):
        chats.store_image(project, tmp_path / "missing.png")
