"""The OpenAI-compatible endpoint backend: vLLM, llama.cpp's server, Ollama, hosted APIs.

Plain `urllib` and server-sent events keep this dependency-free and fast to
import. The API key comes from the OS keyring (never a file); a down server or
a refused key becomes a `UserError` that says how to fix it; transient
failures (connection refused while a server starts, 429, 5xx) are retried with
backoff before anything was streamed. `answer_stream` runs requests on a
thread pool, because endpoints batch concurrent requests and SDG sends
hundreds.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from ilabdesk.chat.context import fit_messages
from ilabdesk.chat.engine import ChatEngine, GenerationParams, Message, Request
from ilabdesk.errors import UserError

TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}


def shown_url(url: str) -> str:
    """`url` as it may appear in a message or log: no user name, password or query (keys hide there)."""
    parsed = urllib.parse.urlsplit(url.strip())
    host = parsed.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parsed.scheme, host, parsed.path, "", ""))


def normalize_base_url(url: str) -> str:
    """'http://host:8000' -> 'http://host:8000/v1'; a pasted '.../chat/completions' is trimmed."""
    url = url.strip().rstrip("/")
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UserError(f"'{shown_url(url)}' is not an http(s) endpoint URL", hint="e.g. http://127.0.0.1:8000/v1")
    if "@" in parsed.netloc or parsed.query:
        raise UserError(f"{shown_url(url)}: the endpoint URL holds a user name, key or query; ilabdesk keeps keys "
                        "only in the system keyring, never in a URL",
                        hint=f"remove it from the URL and store the key with: ilabdesk model set-key {shown_url(url)}")
    for suffix in ("/chat/completions", "/completions", "/models"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    if not urllib.parse.urlsplit(url).path:
        url += "/v1"
    return url


def api_key_name(url: str) -> str:
    """The keyring entry holding the key of the endpoint at `url` (one per host)."""
    return "endpoint:" + urllib.parse.urlsplit(normalize_base_url(url)).netloc


def set_api_key(url: str, key: str) -> None:
    """Store the API key of the endpoint at `url` in the OS keyring."""
    from ilabdesk.settings import set_secret

    set_secret(api_key_name(url), key)


class _Transient(Exception):
    """A failure worth retrying: the server may be starting or busy."""


class OpenAIEngine(ChatEngine):
    """Chat with an OpenAI-compatible `/v1/chat/completions` endpoint."""

    name = "endpoint"

    def __init__(
        self,
        url: str,
        *,
        model: str | None = None,
        api_key: str | None = None,
        api_key_name: str | None = None,
        concurrency: int = 4,
        timeout: float = 300.0,
        retries: int = 3,
        context_length: int | None = None,
    ) -> None:
        """`model` None: the endpoint's first model. `api_key` None: from the keyring (none needed locally).

        `context_length` enables trimming old turns (with an estimated token
        count); without it, overflow is left to the server, which says so.
        """
        self.base_url = normalize_base_url(url)
        self.model = model
        self.concurrency = self.parallel = max(1, concurrency)
        self.timeout = timeout
        self.retries = max(0, retries)
        self.context_length = context_length or 0
        self._api_key = api_key if api_key is not None else self._key_from_keyring(api_key_name)
        self._schema_style = "json_schema"  # falls back to llama-cpp-python's json_object+schema
        self.last_trimmed_turns = 0
        self.last_finish_reason = "stop"
        self.last_tokens = 0

    def _key_from_keyring(self, name: str | None) -> str | None:
        from ilabdesk.settings import get_secret

        try:
            return get_secret(name or api_key_name(self.base_url))
        except UserError:
            return None  # no keyring: fine for local servers that need no key

    # --- HTTP ------------------------------------------------------------------

    def _open(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """Send one request; UserError for what the user must fix, _Transient for what may pass."""
        headers = {"Accept": "application/json, text/event-stream"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode("utf-8")
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers)
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            detail = _error_detail(exc)
            if exc.code in (401, 403):
                raise UserError(
                    f"the endpoint {self.base_url} refused the API key (HTTP {exc.code}: {detail})",
                    hint=f"store the right key with: ilabdesk model set-key {self.base_url}  -- then retry",
                ) from exc
            # llama-cpp-python's server reports a rejected request field as a 500.
            if exc.code in TRANSIENT_STATUS and "validation error" not in detail:
                raise _Transient(f"HTTP {exc.code}: {detail}") from exc
            raise _HTTPFailure(exc.code, detail) from exc
        except urllib.error.URLError as exc:
            raise _Transient(str(exc.reason)) from exc
        except (TimeoutError, ConnectionError) as exc:
            raise _Transient(str(exc) or type(exc).__name__) from exc

    def _with_retries(self, call: Any) -> Any:
        delay = 0.5
        for attempt in range(self.retries + 1):
            try:
                return call()
            except _Transient as exc:
                if attempt == self.retries:
                    raise UserError(
                        f"cannot reach the endpoint {self.base_url} ({exc}; tried {attempt + 1} times)",
                        hint="check that the server is running and the URL is right, then retry",
                    ) from exc
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def _model_name(self) -> str:
        if self.model:
            return self.model

        def fetch() -> str:
            with self._open("/models") as response:
                listing = json.load(response)
            models = [m.get("id") for m in listing.get("data", []) if m.get("id")]
            if not models:
                raise UserError(f"the endpoint {self.base_url} serves no models", hint="add '#model-name' to the URL")
            return models[0]

        try:
            self.model = self._with_retries(fetch)
        except _HTTPFailure as exc:
            raise UserError(
                f"the endpoint {self.base_url} did not list its models ({exc})",
                hint="name the model: URL#model-name",
            ) from exc
        return self.model

    def _body(self, messages: list[Message], params: GenerationParams, max_tokens: int, style: str) -> dict[str, Any]:
        """The request; `style` is the JSON-schema dialect ("json_schema" as OpenAI, or "json_object")."""
        body: dict[str, Any] = {
            "model": self._model_name(),
            "messages": messages,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": max_tokens,
            "stream": True,
        }
        if params.seed is not None:
            body["seed"] = params.seed
        if params.stop:
            body["stop"] = list(params.stop)
        if params.json_schema is not None:
            if style == "json_schema":
                body["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "answer", "schema": params.json_schema},
                }
            else:
                body["response_format"] = {"type": "json_object", "schema": params.json_schema}
        return body

    def _start(self, messages: list[Message], params: GenerationParams, max_tokens: int) -> Any:
        """Open the streaming response, retrying transient failures and the JSON-schema dialect."""

        def attempt() -> Any:
            # The dialect this request used, not the engine's current one: with several requests
            # in flight, another may have switched it while this one was being refused.
            style = self._schema_style
            try:
                return self._open("/chat/completions", self._body(messages, params, max_tokens, style))
            except _HTTPFailure as exc:
                rejected_format = exc.code in (400, 422) or "response_format" in exc.detail
                if params.json_schema is not None and style == "json_schema" and rejected_format:
                    self._schema_style = "json_object"
                    return self._open("/chat/completions", self._body(messages, params, max_tokens, "json_object"))
                raise

        try:
            return self._with_retries(attempt)
        except _HTTPFailure as exc:
            hint = "check the model name after '#' in the URL" if exc.code == 404 else "check the request settings"
            if "context" in exc.detail.lower() or "too long" in exc.detail.lower():
                hint = "start a new conversation or shorten the message"
            raise UserError(f"the endpoint {self.base_url} rejected the request ({exc})", hint=hint) from exc

    # --- ChatEngine ------------------------------------------------------------

    def _prepare(self, messages: list[Message], params: GenerationParams) -> tuple[list[Message], int, int]:
        if not self.context_length:
            return messages, 0, params.max_tokens
        return fit_messages(
            messages,
            self.context_length,
            params.max_tokens,
            lambda ms: sum(self.count_tokens(m.get("content") or "") + 8 for m in ms),
        )

    def _chunks(self, response: Any, stop_event: threading.Event | None, state: dict[str, Any]) -> Iterator[str]:
        """Text deltas of a server-sent-events response; closes it when done or stopped."""
        with response:
            for raw in response:
                if stop_event is not None and stop_event.is_set():
                    state["finish"] = "cancelled"
                    return
                line = raw.decode("utf-8", errors="replace").strip()
                if not line.startswith("data:"):
                    continue
                payload = line[5:].strip()
                if payload == "[DONE]":
                    return
                try:
                    event = json.loads(payload)
                except ValueError:
                    continue
                if "error" in event:
                    raise UserError(f"the endpoint {self.base_url} failed mid-answer: {event['error']}", hint="retry")
                for choice in event.get("choices", [])[:1]:
                    if choice.get("finish_reason"):
                        state["finish"] = choice["finish_reason"]
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        state["tokens"] += 1
                        yield text

    def stream(
        self,
        messages: list[Message],
        params: GenerationParams | None = None,
        stop_event: threading.Event | None = None,
    ) -> Iterator[str]:
        params = params or GenerationParams()
        fitted, trimmed, max_tokens = self._prepare(messages, params)
        self.last_trimmed_turns = trimmed
        if stop_event is not None and stop_event.is_set():
            self.last_finish_reason = "cancelled"
            return
        state: dict[str, Any] = {"finish": None, "tokens": 0}
        try:
            yield from self._chunks(self._start(fitted, params, max_tokens), stop_event, state)
        except (TimeoutError, ConnectionError, urllib.error.URLError) as exc:
            raise UserError(f"the connection to {self.base_url} broke mid-answer ({exc})", hint="retry") from exc
        finally:
            # No finish reason: the server dropped the request (e.g. for a newer one).
            self.last_finish_reason = state["finish"] or "interrupted"
            self.last_tokens = state["tokens"]

    def _complete_quietly(self, messages: list[Message], params: GenerationParams) -> str | None:
        """One answer without touching the engine's last_* fields (safe on worker threads).

        None when the server cut the answer short without a finish reason:
        llama-cpp-python's server does that to a request when another arrives.
        """
        fitted, _, max_tokens = self._prepare(messages, params)
        state: dict[str, Any] = {"finish": None, "tokens": 0}
        try:
            text = "".join(self._chunks(self._start(fitted, params, max_tokens), None, state))
        except (TimeoutError, ConnectionError, urllib.error.URLError) as exc:
            raise UserError(f"the connection to {self.base_url} broke mid-answer ({exc})", hint="retry") from exc
        return text if state["finish"] is not None else None

    def answer_stream(self, queue: deque[Request]) -> Iterator[tuple[Request, str]]:
        """Answer requests `concurrency` at a time, each as it finishes; the first failure is raised.

        An answer the server interrupted (one that serves a single request at a
        time drops the older one when another arrives) is asked again alone,
        once nothing else runs.
        """
        if not queue:
            return
        self._model_name()  # resolve once, not in every worker
        retry: deque[Request] = deque()
        running: dict[Future, Request] = {}
        pool = ThreadPoolExecutor(max_workers=self.concurrency)
        try:
            while queue or running or retry:
                while queue and len(running) < self.concurrency:
                    request = queue.popleft()
                    running[pool.submit(self._complete_quietly, request.messages, request.params)] = request
                if not running:
                    request = retry.popleft()
                    answer = self._complete_quietly(request.messages, request.params)
                    if answer is None:
                        raise UserError(
                            f"the endpoint {self.base_url} keeps cutting answers short",
                            hint="retry; if it serves one request at a time, set teacher.concurrency to 1",
                        )
                    yield request, answer
                    continue
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    request = running.pop(future)
                    answer = future.result()
                    if answer is None:
                        retry.append(request)
                    else:
                        yield request, answer
        finally:
            # a failure or a caller that stopped listening: what still runs is not waited for
            pool.shutdown(wait=False, cancel_futures=True)


class _HTTPFailure(Exception):
    """A non-transient HTTP error other than a refused key."""

    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"HTTP {code}: {detail}")
        self.code = code
        self.detail = detail


def _error_detail(exc: urllib.error.HTTPError) -> str:
    """The server's own words about an error, short."""
    try:
        body = exc.read().decode("utf-8", errors="replace")
    except OSError:
        return exc.reason or ""
    try:
        data = json.loads(body)
        if isinstance(data, dict):
            err = data.get("error", data.get("detail", data))
            if isinstance(err, dict):
                err = err.get("message", err)
            body = str(err)
    except ValueError:
        pass
    return body.strip()[:300] or str(exc.reason or "")
