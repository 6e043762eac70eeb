"""A key never rides in a base URL: refused wherever one is accepted, stripped before anything is stored."""

import pytest

from engine.cli import main
from engine.detect.endpoint import check_endpoint
from engine.errors import EndpointError
from engine.eval.backends.openai_backend import OpenAIBackend
from engine.eval.errors import EvalConfigError
from engine.llm.urls import credentials_in_url, refuse_credentials, safe_url, strip_credentials, without_credentials
from engine.pdf.importer import import_pdf
from engine.store import Project
from engine.synth.base import SynthConfigError
from engine.synth.registry import create as create_synthesizer
from tests import pdf_factory

KEY = "sk-url-SECRET-0123456789abcdef"
WITH_KEYS = [
    f"https://me:{KEY}@api.example.com/v1",
    f"https://{KEY}@api.example.com/v1",
    f"http://127.0.0.1:8000/v1?api_key={KEY}",
    f"https://host/v1beta?key={KEY}",
    f"https://host/v1?api-version=2024-06-01&token={KEY}",
    f"https://host/v1?x-api-key={KEY}#part",
]
WITHOUT = ["https://api.openai.com/v1", "http://[::1]:8000/v1", "https://host/v1?api-version=2024-06-01",
           "/models/remud.gguf", "gpt-4o-mini", ""]


@pytest.mark.parametrize("url", WITH_KEYS)
def test_urls_with_a_key_are_found_refused_and_stripped(url):
    assert credentials_in_url(url)
    stripped = without_credentials(url)
    assert KEY not in stripped and not credentials_in_url(stripped) and stripped.startswith(url.split(":")[0] + "://")
    assert KEY not in safe_url(url)
    with pytest.raises(SynthConfigError, match="not in the URL") as caught:
        refuse_credentials({"params": {"base_url": url}}, SynthConfigError)
    assert KEY not in str(caught.value)


@pytest.mark.parametrize("url", WITHOUT)
def test_urls_without_a_key_pass_unchanged(url):
    assert not credentials_in_url(url) and without_credentials(url) == url
    refuse_credentials([url])


def test_stripping_keeps_everything_but_the_key():
    assert without_credentials(f"https://me:{KEY}@host:8443/v1?api-version=2&key={KEY}") == \
        "https://host:8443/v1?api-version=2"
    assert strip_credentials({"params": {"base_url": f"http://h/v1?token={KEY}", "model": "m"}, "kinds": ["vqa"],
                              "n": 3}) == {"params": {"base_url": "http://h/v1", "model": "m"}, "kinds": ["vqa"], "n": 3}
    assert safe_url("http://[::1]:8000/v1?x=1") == "http://[::1]:8000/v1"


def test_every_place_that_takes_a_base_url_refuses_one_with_a_key(tmp_path, capsys):
    url = f"https://me:{KEY}@api.example.com/v1"
    with pytest.raises(SynthConfigError, match="not in the URL"):  # cards: synthesizers, judges, detectors
        create_synthesizer("openai", base_url=url, model="m")
    with pytest.raises(EvalConfigError, match="not in the URL"):  # remud eval --base-url
        OpenAIBackend("m", url)
    with pytest.raises(EndpointError, match="not in the URL"):  # the Settings dialog's Test connection
        check_endpoint(f"http://127.0.0.1:9/v1?api_key={KEY}", "m")
    with Project.create(tmp_path / "P.remud") as p:
        import_pdf(p, pdf_factory.text_pdf(tmp_path / "a.pdf", pages=1))
    code = main(["detect", str(tmp_path / "P.remud"), "--detector", "qwen-vl", "--param", f"base_url={url}"])
    out, err = capsys.readouterr()
    assert code == 1 and err.startswith("error: ") and "not in the URL" in err and KEY not in out + err
