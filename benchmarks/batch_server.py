"""A tiny OpenAI-compatible server that batches concurrent requests (for benchmarks/sdg.py).

llama-cpp-python's own server answers one request at a time, so the
concurrency of a client cannot show there. Here one thread owns the engine
and runs `LlamaEngine.answer_stream` on a queue the request threads append
to: a request joins the running batch of parallel sequences at its next
step, the way vLLM or llama.cpp's server with several slots would. Streaming
replies come as one server-sent event with the whole answer, which is all
the benchmark needs.

Usage: .venv/bin/python benchmarks/batch_server.py --model FILE.gguf --port 8000 [--threads N]
"""

from __future__ import annotations

import argparse
import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ilabdesk.chat.engine import GenerationParams, Request
from ilabdesk.chat.llama import LlamaEngine


class Batcher:
    """One thread owns the engine; request threads queue their work and wait for their answer."""

    def __init__(self, engine: LlamaEngine) -> None:
        self.engine = engine
        self.queue: deque[Request] = deque()
        self.open: dict[int, dict[str, Any]] = {}  # the boxes not answered yet, by id
        self.wake = threading.Event()
        self.most = 0  # most requests waiting or running at once, for the log
        threading.Thread(target=self._run, daemon=True).start()

    def ask(self, messages: list[dict[str, str]], params: GenerationParams) -> str:
        box: dict[str, Any] = {"done": threading.Event()}
        self.open[id(box)] = box
        self.most = max(self.most, len(self.open))
        self.queue.append(Request(messages, params, box))
        self.wake.set()
        box["done"].wait()
        self.open.pop(id(box), None)
        if "error" in box:
            raise box["error"]
        return box["answer"]

    def _run(self) -> None:
        while True:
            self.wake.wait()
            self.wake.clear()
            try:
                for request, answer in self.engine.answer_stream(self.queue):
                    request.key["answer"] = answer
                    request.key["done"].set()
            except Exception as exc:  # noqa: BLE001 -- handed to the request threads, which answer 500
                self.queue.clear()
                for box in list(self.open.values()):
                    box["error"] = exc
                    box["done"].set()


def make_handler(batcher: Batcher, alias: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, code: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._send(200, json.dumps({"object": "list", "data": [{"id": alias, "object": "model"}]}).encode())
            else:
                self._send(404, b'{"error": "not found"}')

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, b'{"error": "not found"}')
                return
            fmt = request.get("response_format") or {}
            schema = (fmt.get("json_schema") or {}).get("schema") or fmt.get("schema")
            params = GenerationParams(
                temperature=float(request.get("temperature", 0.7)),
                top_p=float(request.get("top_p", 0.95)),
                max_tokens=int(request.get("max_tokens") or 256),
                seed=request.get("seed"),
                stop=list(request.get("stop") or []),
                json_schema=schema,
            )
            try:
                answer = batcher.ask(request["messages"], params)
            except Exception as exc:  # noqa: BLE001 -- any failure is the client's HTTP 500
                self._send(500, json.dumps({"error": {"message": str(exc)}}).encode())
                return
            choice = {"index": 0, "delta": {"role": "assistant", "content": answer}, "finish_reason": "stop"}
            if request.get("stream"):
                event = {"object": "chat.completion.chunk", "model": alias, "choices": [choice]}
                self._send(200, f"data: {json.dumps(event)}\n\ndata: [DONE]\n\n".encode(), "text/event-stream")
            else:
                message = {"role": "assistant", "content": answer}
                body = {"object": "chat.completion", "model": alias,
                        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
                self._send(200, json.dumps(body).encode())

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--alias", default="smol")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--n_ctx", type=int, default=4096)
    args = parser.parse_args()
    engine = LlamaEngine(args.model, threads=args.threads or None, context_length=args.n_ctx)
    batcher = Batcher(engine)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(batcher, args.alias))
    try:
        server.serve_forever()
    finally:
        print(f"most requests at once: {batcher.most}", flush=True)


if __name__ == "__main__":
    main()
