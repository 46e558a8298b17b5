"""The endpoint backend against a real llama-cpp-python server on loopback, serving the bundled GGUF."""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import deque

import pytest

from ilabdesk.chat.engine import GenerationParams, Request
from ilabdesk.chat.factory import open_engine
from ilabdesk.chat.openai import OpenAIEngine, api_key_name, normalize_base_url, set_api_key
from ilabdesk.errors import UserError
from ilabdesk.models.default import default_model_path
from ilabdesk.sdg.teacher import parse_json
from sdghelpers import DOC, SEEDS, make_leaf, read_jsonl, run_generate

pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python[server] extras are not installed")

# llama_cpp.server with its weights kept out of llama.cpp's AMX kernels, as ilabdesk's own loads
# (ilabdesk.chat.llama.no_amx_weights: those kernels crash on some Sapphire Rapids CPUs).
LLAMA_SERVER = [sys.executable, "-c", "import runpy\nfrom ilabdesk.chat.llama import no_amx_weights\n"
                "with no_amx_weights():\n    runpy.run_module('llama_cpp.server', run_name='__main__', alter_sys=True)"]
KEY = "test-key-123"
SYSTEM = {"role": "system", "content": "You are a helpful assistant."}
GREEDY = GenerationParams(temperature=0.0, max_tokens=12)


def ask(question: str) -> list[dict[str, str]]:
    return [SYSTEM, {"role": "user", "content": question}]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = subprocess.Popen(
        [*LLAMA_SERVER, "--model", str(default_model_path()),
         "--model_alias", "smol", "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2",
         "--flash_attn", "true", "--api_key", KEY, "--verbose", "false"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while True:
        try:
            request = urllib.request.Request(url + "/models", headers={"Authorization": f"Bearer {KEY}"})
            with urllib.request.urlopen(request, timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"llama_cpp.server did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_streams_an_answer_with_the_key_from_the_keyring(server):
    set_api_key(server, KEY)
    engine = open_engine(server)  # no '#model': the endpoint's first model
    assert isinstance(engine, OpenAIEngine)
    chunks = list(engine.stream(ask("What is the capital of France?"), GREEDY))
    assert engine.model == "smol"
    assert len(chunks) >= 3
    assert "Paris" in "".join(chunks)
    assert engine.last_finish_reason in ("stop", "length")


def test_stop_within_one_token(server):
    engine = open_engine(server + "#smol", api_key=KEY)
    assert engine.model == "smol"
    stop = threading.Event()
    got = []
    for chunk in engine.stream(ask("Count from one to twenty."), GenerationParams(temperature=0.0, max_tokens=60), stop):
        got.append(chunk)
        if len(got) == 2:
            stop.set()
    assert len(got) == 2
    assert engine.last_finish_reason == "cancelled"


def test_complete_many_keeps_order_concurrently(server):
    engine = OpenAIEngine(server, model="smol", api_key=KEY, concurrency=3)
    questions = ["What is the capital of France?", "What is 2 + 2? Answer with a number.", "What is the capital of France?"]
    answers = engine.complete_many([ask(q) for q in questions], GREEDY)
    assert len(answers) == 3
    assert "Paris" in answers[0] and "Paris" in answers[2]
    assert "4" in answers[1]


def test_requests_queued_while_answering_are_answered_too(server):
    """answer_stream keeps `concurrency` requests in flight and takes the ones added as answers come back."""
    engine = OpenAIEngine(server, model="smol", api_key=KEY, concurrency=2)
    queue = deque([Request(ask("What is 2 + 2? Answer with a number."), GREEDY, ("sum", 0)),
                   Request(ask("What is 2 + 2? Answer with a number."), GREEDY, ("sum", 1))])
    answered = {}
    for request, answer in engine.answer_stream(queue):
        answered[request.key] = answer
        if request.key[0] == "sum":
            queue.append(Request(ask("What is the capital of France?"), GREEDY, ("capital", request.key[1])))
    assert set(answered) == {("sum", 0), ("sum", 1), ("capital", 0), ("capital", 1)}
    assert all("4" in answered["sum", i] and "Paris" in answered["capital", i] for i in range(2)), answered


def test_json_schema_output(server):
    engine = OpenAIEngine(server, model="smol", api_key=KEY)
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    text = engine.complete(ask("What is the capital of France?"), GenerationParams(temperature=0.0, max_tokens=30, json_schema=schema))
    assert parse_json(text, schema)["city"]


def test_json_schema_from_several_clients_at_once(server):
    """llama-cpp-python's server refuses OpenAI's json_schema format; every request in flight falls back."""
    engine = OpenAIEngine(server, model="smol", api_key=KEY, concurrency=4)
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    params = GenerationParams(temperature=0.0, max_tokens=30, json_schema=schema)
    replies = engine.complete_many([ask("What is the capital of France?")] * 4, params)
    assert all(parse_json(text, schema)["city"] for text in replies), replies


def test_knowledge_sdg_with_the_endpoint_as_teacher(server, tmp_path):
    """A bigger teacher behind an OpenAI-compatible endpoint runs the same SDG code as the embedded one."""
    set_api_key(server, KEY)
    leaf = make_leaf(tmp_path)
    events = run_generate(leaf, tmp_path / "data", None, teacher=server + "#smol", answer_mode="extractive",
                          judge=False, paraphrases=1)
    assert events[-1].type == "done", events[-1]
    summary = json.loads((tmp_path / "data" / "summary.json").read_text())
    assert summary["teacher"] == server + "#smol" and summary["teacher_calls"] > 5
    samples = read_jsonl(tmp_path / "data" / "train_knowledge_maritime_orlin.jsonl")
    made = [s for s in samples if s["metadata"]["origin"] != "seed"]
    assert made, "the endpoint teacher kept nothing"
    source = " ".join((DOC + " ".join(seed["context"] for seed in SEEDS)).split())
    seed_answers = {qa["answer"] for seed in SEEDS for qa in seed["questions_and_answers"]}
    # extractive: sentences of the leaf's texts, or a seed's answer to a rewording of its question
    assert all(s["messages"][-1]["content"] in source or s["messages"][-1]["content"] in seed_answers for s in made)


def test_wrong_key_is_a_clear_error(server):
    engine = OpenAIEngine(server, model="smol", api_key="wrong")
    with pytest.raises(UserError, match="refused the API key") as info:
        engine.complete(ask("hi"), GREEDY)
    assert "set-key" in info.value.hint and "retry" in info.value.hint


def test_endpoint_down_is_a_clear_error():
    engine = OpenAIEngine(f"http://127.0.0.1:{free_port()}", model="m", retries=1)
    started = time.monotonic()
    with pytest.raises(UserError, match="cannot reach the endpoint .*tried 2 times") as info:
        engine.complete(ask("hi"), GREEDY)
    assert "retry" in info.value.hint
    assert time.monotonic() - started < 10


def test_transient_errors_are_retried():
    """A server that answers 503 once (as a starting vLLM does) and then streams."""
    calls = []

    class Flaky(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers["Content-Length"]))
            calls.append(self.path)
            if len(calls) == 1:
                self.send_error(503, "loading model")
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for word, finish in (("Hello", None), (" there", "stop")):
                event = {"choices": [{"delta": {"content": word}, "finish_reason": finish}]}
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        engine = OpenAIEngine(f"http://127.0.0.1:{httpd.server_port}", model="m", retries=2)
        assert engine.complete(ask("hi"), GREEDY) == "Hello there"
        assert calls == ["/v1/chat/completions"] * 2
    finally:
        httpd.shutdown()


def test_url_forms():
    assert normalize_base_url("http://h:8000") == "http://h:8000/v1"
    assert normalize_base_url("http://h:8000/v1/chat/completions") == "http://h:8000/v1"
    assert normalize_base_url("https://api.x.com/openai/v1/") == "https://api.x.com/openai/v1"
    assert api_key_name("http://h:8000/v1") == "endpoint:h:8000"
    with pytest.raises(UserError, match="not an http"):
        normalize_base_url("ftp://h")
    with pytest.raises(UserError, match="adapter can't be added"):
        open_engine("http://h:1/v1#m", adapter="a.gguf")
