"""A tiny OpenAI-compatible server that batches concurrent requests (for benchmarks/sdg.py).

llama-cpp-python's own server answers one request at a time, so the
concurrency of a client cannot show there. This one gathers the requests that
arrive together and answers those with equal sampling settings as parallel
sequences of one llama.cpp batch (`LlamaEngine.complete_many`), the way vLLM
or llama.cpp's server with several slots would. Streaming replies come as one
server-sent event with the whole answer, which is all the benchmark needs.

Usage: .venv/bin/python benchmarks/batch_server.py --model FILE.gguf --port 8000 [--threads N]
"""

from __future__ import annotations

import argparse
import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ilabdesk.chat.engine import GenerationParams
from ilabdesk.chat.llama import LlamaEngine

# How long the batcher waits for more requests after the first one arrives.
GATHER_S = 0.02


class Batcher:
    """One thread owns the engine; request threads hand it work and wait for their answer."""

    def __init__(self, engine: LlamaEngine) -> None:
        self.engine = engine
        self.inbox: queue.Queue[tuple[list[dict[str, str]], GenerationParams, dict[str, Any]]] = queue.Queue()
        self.batches: list[int] = []  # sizes, for the log
        threading.Thread(target=self._run, daemon=True).start()

    def ask(self, messages: list[dict[str, str]], params: GenerationParams) -> str:
        box: dict[str, Any] = {"done": threading.Event()}
        self.inbox.put((messages, params, box))
        box["done"].wait()
        if "error" in box:
            raise box["error"]
        return box["answer"]

    def _run(self) -> None:
        while True:
            work = [self.inbox.get()]
            deadline = time.monotonic() + GATHER_S
            while (left := deadline - time.monotonic()) > 0:
                try:
                    work.append(self.inbox.get(timeout=left))
                except queue.Empty:
                    break
            groups: dict[str, list[Any]] = {}
            for item in work:
                groups.setdefault(repr(item[1]), []).append(item)
            for items in groups.values():
                self.batches.append(len(items))
                try:
                    answers = self.engine.complete_many([m for m, _, _ in items], items[0][1])
                    for (_, _, box), answer in zip(items, answers):
                        box["answer"] = answer
                except Exception as exc:  # noqa: BLE001 -- handed to the request threads, which answer 500
                    for _, _, box in items:
                        box["error"] = exc
                for _, _, box in items:
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
        print(f"batch sizes served: {batcher.batches}", flush=True)


if __name__ == "__main__":
    main()
