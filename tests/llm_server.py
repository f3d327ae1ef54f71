#!/usr/bin/env python3
"""llm_server: a scripted OpenAI-compatible chat-completions server for tests.

    python3 tests/llm_server.py --script FILE --port-file F [--log FILE]
                                [--require-key K] [--host 127.0.0.1] [--port 0]

Binds HOST:PORT (default 127.0.0.1, port 0 = a free port), then writes the
port number to F (atomically, so a reader never sees a partial file) and
serves until killed (SIGTERM). Python standard library only.

Endpoint: POST /v1/chat/completions. Each request is checked like the real
service would: 404 for another path, 405 for another method, 401 when
--require-key K is given and "Authorization: Bearer K" is not sent, 413 for a
body over 32 MiB, 400 for a body that is not a JSON object with a non-empty
"model" string and a non-empty "messages" list of objects with a "role", when
tool_choice is sent without tools, or when the tool-call protocol is broken
(an assistant message's tool_calls not each answered by the "tool" messages
right after it, a tool message answering no pending call, or
function.arguments not a string). Error bodies are OpenAI-shaped:
{"error": {"message", "type", "param", "code"}}.

The script (JSON object) maps a model id to the list of responses for that
model; "*" is used for models not listed (without it, unknown models get 404
model_not_found). Each request to a model consumes the next entry of its own
list, so models running in parallel each follow their own script; once the
list is exhausted the last entry repeats. An entry with "times": N is served
N times before the next one. Entries:

  {"tool_calls": [{"name": "buy", "arguments": {...} | "raw text",
                   "id": "optional" (null = no id field)}, ...],
   "content": "optional text"}                      -> finish_reason tool_calls
  {"content": "text <FINISH_SIGNAL>"}               -> finish_reason stop
  {"fault": "status", "status": 429, "retry_after": "1", "body": {...}|"text"}
      an HTTP error (default status 500, OpenAI-shaped body; Retry-After sent
      when retry_after is given)
  {"fault": "latency", "seconds": S, ...}   sleep S, then the normal response
                                            the rest of the entry describes
  {"fault": "gate", "file": F, "seconds": S, ...}
                                            wait while the file F exists (at most
                                            S seconds, default 60), then the
                                            normal response
  {"fault": "barrier", "parties": N, "seconds": S, ...}
                                            wait until N requests (of any model)
                                            wait at the barrier of N parties,
                                            then the normal response; when S
                                            seconds (default 30) pass first,
                                            400 "barrier timed out" (so a test
                                            proves N requests were in flight)
  {"fault": "hang", "seconds": S}           sleep S (default 600) and close
                                            without answering
  {"fault": "disconnect"}                   close the connection at once
  {"fault": "malformed"}                    200, JSON content type, invalid JSON
                                            (mismatched brackets)
  {"fault": "truncated"}                    200 declaring the full length but
                                            sending half the body, then closing
  {"fault": "content_type", "content_type": "text/html"}
                                            a valid completion as another type
  {"fault": "error_200", "message": M, "code": 502}
                                            200 with {"error": {...}}
  {"fault": "quota", "status": 429}         insufficient_quota error (any status)
  {"fault": "oversized", "bytes": N, "no_length": false}
                                            a completion whose content is N
                                            bytes; no_length: no Content-Length,
                                            body delimited by closing
  {"raw": {...} | "text", "status": 200, "content_type": "application/json"}
                                            this exact body
  {"fault": "context", "max_chars": N, ...} 400 context_length_exceeded (vLLM's
                                            wording) when the request body is
                                            over N characters, else the normal
                                            response the rest describes
  {"fault": "refuse_fields", "fields": ["reasoning"], ...}
                                            400 (as Groq does) when a message
                                            of the request carries one of the
                                            fields, else the normal response

Knobs on normal (tool_calls / content) entries, to mimic provider quirks:
  "args_as_object": true   function.arguments sent as a JSON object
  "empty_id": true         every tool call gets "id": ""
  "missing_id": true       tool calls have no "id"
  "content_null": true     "content": null even without tool calls
  "finish_reason_stop_with_tools": true   finish_reason "stop" with tool calls
  "finish_reason": "..."   any other finish_reason
  "reasoning_content": "..."              added to the message
  "usage": {...}           instead of the computed token counts
  "extra": {...}           extra fields merged into the message
  "flat_calls": true       tool calls shaped {"id", "name", "args"} (DeepSeek
                           through OpenRouter), args as an object
  "repeat_calls": N        the tool_calls list repeated up to N calls

Log (--log): one JSON line per request, appended and flushed before the
response is sent: {"seq", "time", "method", "path", "headers" (names in lower
case), "body" (parsed JSON, or the raw text when it is not JSON), "model",
"entry" (index in the model's list, or null), "status" (the status answered,
null for hang/disconnect), "inflight" (requests being handled at that moment,
this one included), "started" (when the request arrived; "time" - "started"
is how long the server took, injected latency included)}.
"""

import http.server
import itertools
import json
import os
import socket
import sys
import threading
import time

import serverlib

MAX_BODY = 32 << 20
PATH = "/v1/chat/completions"
CALL_IDS = itertools.count(1)  # next() on a count is atomic under the GIL


class Script:
    """The scripted responses and each model's position in its list."""

    def __init__(self, data):
        self.models = data
        self.pos = {}  # model -> [index, uses of that entry]
        self.lock = threading.Lock()

    @staticmethod
    def load(path):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if not isinstance(data, dict):
            raise ValueError("the script must be a JSON object mapping model ids to lists")
        for model, entries in data.items():
            if isinstance(entries, dict):
                data[model] = entries = [entries]
            if not isinstance(entries, list) or not entries:
                raise ValueError("model %r: expected a non-empty list of entries" % model)
            for i, e in enumerate(entries):
                if not isinstance(e, dict):
                    raise ValueError("model %r entry %d: not an object" % (model, i))
        return Script(data)

    def next(self, model):
        """(index, entry) for the model's next request, or (None, None)."""
        entries = self.models.get(model, self.models.get("*"))
        if entries is None:
            return None, None
        with self.lock:
            key = model if model in self.models else "*"
            pos = self.pos.setdefault(key, [0, 0])
            idx = pos[0]
            entry = entries[idx]
            pos[1] += 1
            times = entry.get("times", 1)
            if not isinstance(times, int) or times < 1:
                times = 1
            if pos[1] >= times and idx < len(entries) - 1:
                pos[0], pos[1] = idx + 1, 0
            return idx, entry


def error_body(message, etype, code=None, param=None):
    return {"error": {"message": message, "type": etype, "param": param, "code": code}}


def check_tool_protocol(messages):
    """An error message when the history breaks OpenAI's tool-call rules."""
    pending = []
    for i, m in enumerate(messages):
        role = m.get("role")
        if role == "tool":
            tid = m.get("tool_call_id")
            if tid not in pending:
                return "messages[%d]: tool message answers no pending tool call (%r)" % (i, tid)
            pending.remove(tid)
            continue
        if pending:
            return ("An assistant message with 'tool_calls' must be followed by tool messages "
                    "responding to each 'tool_call_id'. Missing: %s" % ", ".join(map(str, pending)))
        calls = m.get("tool_calls") if role == "assistant" else None
        if calls is None:
            continue
        if not isinstance(calls, list) or not calls:
            return "messages[%d].tool_calls: expected a non-empty array" % i
        for j, c in enumerate(calls):
            fn = c.get("function") if isinstance(c, dict) else None
            if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
                return "messages[%d].tool_calls[%d]: function.name missing" % (i, j)
            if not isinstance(fn.get("arguments"), str):
                return "messages[%d].tool_calls[%d].function.arguments: expected a string" % (i, j)
            if not isinstance(c.get("id"), str) or not c["id"]:
                return "messages[%d].tool_calls[%d].id: expected a non-empty string" % (i, j)
            pending.append(c["id"])
    if pending:
        return "tool calls not answered: %s" % ", ".join(map(str, pending))
    return None


def validate(body):
    """An error message for a request body the real service would refuse."""
    if not isinstance(body, dict):
        return "the request body must be a JSON object"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        return "'messages' must be a non-empty array"
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            return "messages[%d]: expected an object with a role" % i
    if "tool_choice" in body and not body.get("tools"):
        return "'tool_choice' is only allowed when 'tools' are specified"
    return check_tool_protocol(msgs)


def context_or_fields(entry, body, text):
    """(message, code) of a context or field refusal the entry asks for, or None."""
    fault = entry.get("fault")
    if fault == "context" and len(text) > int(entry.get("max_chars", 1 << 30)):
        return ("This model's maximum context length is %d tokens. However, your messages "
                "resulted in %d tokens." % (int(entry["max_chars"]) // 4, len(text) // 4),
                "context_length_exceeded")
    if fault == "refuse_fields":
        for i, m in enumerate(body.get("messages", [])):
            for f in entry.get("fields", []):
                if f in m:
                    return ("'messages.%d' : property '%s' is unsupported" % (i, f), None)
    return None


def completion(model, entry, request_text):
    """The chat.completion body a normal entry describes."""
    msg = {"role": "assistant", "content": entry.get("content")}
    calls = []
    listed = entry.get("tool_calls") or []
    if listed and isinstance(entry.get("repeat_calls"), int):
        listed = [listed[i % len(listed)] for i in range(entry["repeat_calls"])]
    for tc in listed:
        args = tc.get("arguments", {})
        if not isinstance(args, str) and not entry.get("args_as_object"):
            args = json.dumps(args)
        call = {"id": "call_srv_%d" % next(CALL_IDS), "type": "function", "function": {"name": tc.get("name", ""), "arguments": args}}
        if "id" in tc:
            call["id"] = tc["id"]
        if entry.get("empty_id"):
            call["id"] = ""
        if entry.get("missing_id") or call["id"] is None:
            del call["id"]
        if entry.get("flat_calls"):
            call = {"id": call.get("id"), "name": call["function"]["name"],
                    "args": tc.get("arguments", {})}
        calls.append(call)
    if calls:
        msg["tool_calls"] = calls
    if entry.get("content_null"):
        msg["content"] = None
    if entry.get("reasoning_content") is not None:
        msg["reasoning_content"] = entry["reasoning_content"]
    if isinstance(entry.get("extra"), dict):
        msg.update(entry["extra"])
    finish = "tool_calls" if calls and not entry.get("finish_reason_stop_with_tools") else "stop"
    finish = entry.get("finish_reason", finish)
    prompt = len(request_text) // 4
    done = len(json.dumps(msg)) // 4
    usage = entry.get("usage") or {"prompt_tokens": prompt, "completion_tokens": done,
                                   "total_tokens": prompt + done}
    return {"id": "chatcmpl-%d" % int(time.time() * 1e6), "object": "chat.completion",
            "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": msg, "finish_reason": finish, "logprobs": None}],
            "usage": usage}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "llm_server/1"
    timeout = 120  # an idle or stalled client never pins a thread for long

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    def send_body(self, status, data, content_type="application/json", headers=None,
                  length=True):
        raw = data if isinstance(data, bytes) else (
            data.encode() if isinstance(data, str) else json.dumps(data).encode())
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        if length:
            self.send_header("Content-Length", str(len(raw)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(raw)
        self.wfile.flush()

    def record(self, body, model, idx, status):
        self.seen[3] = True
        srv = self.server
        with srv.log_lock:
            srv.seq += 1
            line = {"seq": srv.seq, "time": time.time(), "method": self.command, "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
                    "model": model, "entry": idx, "status": status,
                    "inflight": srv.inflight, "started": getattr(self, "started", None)}
            if srv.log:
                srv.log.write(json.dumps(line) + "\n")
                srv.log.flush()

    def read_body(self):
        """(text, error status) of the request body."""
        try:
            n = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return None, 411
        if n < 0:
            return None, 400
        if n > MAX_BODY:
            return None, 413
        data = self.rfile.read(n)
        return data.decode("utf-8", errors="replace"), None

    def refuse(self, status, body, message, etype="invalid_request_error", code=None):
        self.record(body, None, None, status)
        self.close_connection = True
        self.send_body(status, error_body(message, etype, code), headers={"Connection": "close"})

    def do_POST(self):
        self.started = time.time()
        self.seen = [None, None, None, False]  # body, model, entry index, logged
        srv = self.server
        with srv.log_lock:
            srv.inflight += 1
        try:
            self.handle_post()
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True
        except Exception as e:  # a bad script entry must not kill the server
            self.close_connection = True
            try:
                if not self.seen[3]:
                    self.record(self.seen[0], self.seen[1], self.seen[2], 500)
                self.send_body(500, error_body("llm_server internal error: %r" % e, "server_error"))
            except OSError:
                pass
        finally:
            with srv.log_lock:
                srv.inflight -= 1

    def handle_post(self):
        path = self.path.split("?", 1)[0]
        text, bad = self.read_body()
        if bad:
            return self.refuse(bad, None, "cannot read the request body (HTTP %d)" % bad)
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        shown = body if body is not None else text
        self.seen[0] = shown
        if path != PATH:
            return self.refuse(404, shown, "Unknown request URL: POST %s" % path[:200],
                               code="unknown_url")
        key = self.server.require_key
        sent = self.headers.get("Authorization") or ""
        if key is not None and sent != "Bearer " + key:
            # As OpenAI does, the message quotes the key that was sent.
            return self.refuse(401, shown, "Incorrect API key provided: %s. You can find your API "
                               "key at https://platform.openai.com/account/api-keys."
                               % sent[len("Bearer "):], code="invalid_api_key")
        problem = "We could not parse the JSON body of your request." if body is None \
            else validate(body)
        if problem:
            return self.refuse(400, shown, problem)
        model = body["model"]
        idx, entry = self.server.script.next(model)
        self.seen[1:3] = [model, idx]
        if entry is None:
            self.record(body, model, None, 404)
            return self.send_body(404, error_body("The model `%s` does not exist" % model[:200],
                                                  "invalid_request_error", "model_not_found"))
        self.answer(body, text, model, idx, entry)

    def answer(self, body, text, model, idx, entry):
        fault = entry.get("fault")
        if "raw" in entry:
            status = entry.get("status", 200)
            self.record(body, model, idx, status)
            return self.send_body(status, entry["raw"],
                                  entry.get("content_type", "application/json"))
        if fault in ("hang", "disconnect"):
            self.record(body, model, idx, None)
            if fault == "hang":
                time.sleep(float(entry.get("seconds", 600)))
            self.close_connection = True
            return None
        if fault == "status":
            status = int(entry.get("status", 500))
            headers = {}
            if entry.get("retry_after") is not None:
                headers["Retry-After"] = entry["retry_after"]
            etype = "rate_limit_error" if status == 429 else \
                "server_error" if status >= 500 else "invalid_request_error"
            data = entry.get("body", error_body("Scripted HTTP %d" % status, etype))
            ctype = "application/json" if not isinstance(data, str) else "text/plain"
            self.record(body, model, idx, status)
            return self.send_body(status, data, ctype, headers)
        if fault == "quota":
            status = int(entry.get("status", 429))
            self.record(body, model, idx, status)
            return self.send_body(status, error_body(
                "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota", "insufficient_quota"))
        if fault == "error_200":
            self.record(body, model, idx, 200)
            return self.send_body(200, error_body(entry.get("message", "Upstream provider error"),
                                                  "server_error", entry.get("code", 502)))
        if fault == "malformed":
            self.record(body, model, idx, 200)
            return self.send_body(200, '{"id": "chatcmpl-bad", "choices": [{"message": '
                                       '{"role": "assistant", "content": "x"}}]]}')
        problem = context_or_fields(entry, body, text)
        if problem:
            self.record(body, model, idx, 400)
            return self.send_body(400, error_body(problem[0], "invalid_request_error", problem[1]))
        if fault == "oversized":
            entry = dict(entry, content="x" * int(entry.get("bytes", 9 << 20)))
        if fault == "latency":
            time.sleep(float(entry.get("seconds", 1)))
        if fault == "gate":
            end = time.time() + float(entry.get("seconds", 60))
            while os.path.exists(entry.get("file", "")) and time.time() < end:
                time.sleep(0.02)
        if fault == "barrier" and not self.meet(int(entry.get("parties", 2)),
                                                float(entry.get("seconds", 30))):
            self.record(body, model, idx, 400)
            return self.send_body(400, error_body("barrier timed out", "invalid_request_error"))
        data = json.dumps(completion(model, entry, text)).encode()
        self.record(body, model, idx, 200)
        if fault == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return None
        if fault == "content_type":
            return self.send_body(200, data, entry.get("content_type", "text/html; charset=utf-8"))
        return self.send_body(200, data, length=not entry.get("no_length"))

    def meet(self, parties, seconds):
        """True once `parties` requests wait at the barrier of that size."""
        srv = self.server
        with srv.log_lock:
            barriers = srv.__dict__.setdefault("barriers", {})
            b = barriers.setdefault(parties, threading.Barrier(parties))
        try:
            b.wait(seconds)
            return True
        except threading.BrokenBarrierError:
            return False

    def refuse_method(self):
        self.seen = [None, None, None, False]
        try:
            self.read_body()
            self.refuse(405, None, "Method %s not allowed" % self.command)
        except OSError:
            self.close_connection = True

    do_GET = do_PUT = do_DELETE = do_PATCH = refuse_method


if __name__ == "__main__":
    sys.exit(serverlib.main("llm_server", "Scripted OpenAI-compatible test server", Handler,
                            Script.load))
