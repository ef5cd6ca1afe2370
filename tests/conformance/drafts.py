"""The conformance vectors as authored: workflow, input and the server's answers, in the
order the requests come when calls run one at a time. ``python -m tests.conformance.record``
runs them on the Python engine and writes ``vectors/*.json`` with the request bodies, the
headers and the outcome filled in, for review; the vectors are then what every runner must
match. Response bodies are built from the official SDKs' own response models."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime"))

from runtime_canned import anthropic_message, chat_completion, openai_response

from aiwf.runtime._canonical import dumps

T1 = {"id": "T-1", "subject": "Refund", "body": "I was charged twice."}
#: Members out of contract order, and the optional ones set: the wire must not care.
T2 = {"priority": 1, "body": "The app crashes on start.", "tags": ["ios", "crash"],
      "subject": "Crash", "id": "T-2"}  # fmt: skip
T3 = {"id": "T-3", "subject": "Login", "body": "Cannot log in."}


def triage(
    ticket: str, category: str = "billing", urgency: int = 3, **extra: Any
) -> dict[str, Any]:
    return {"ticket_id": ticket, "category": category, "urgency": urgency, **extra}


def ok(body: dict[str, Any], **headers: str) -> dict[str, Any]:
    return {"status": 200, "headers": headers, "body": body}


def oa(value: Any, *, tokens: tuple[int, int] = (11, 7), **kwargs: Any) -> dict[str, Any]:
    """An OpenAI Responses answer whose text is ``value`` (JSON text unless a string)."""
    text = value if isinstance(value, str) else dumps(value)
    return ok(openai_response(text, input_tokens=tokens[0], output_tokens=tokens[1], **kwargs))


def an(value: Any, *, name: str, tokens: tuple[int, int] = (21, 9)) -> dict[str, Any]:
    """An Anthropic answer through the forced tool ``name``."""
    return ok(
        anthropic_message(
            tool_input=value, tool_name=name, input_tokens=tokens[0], output_tokens=tokens[1]
        )
    )


def an_text(text: str, **kwargs: Any) -> dict[str, Any]:
    return ok(anthropic_message(text=text, **kwargs))


def cc(value: Any, **kwargs: Any) -> dict[str, Any]:
    text = value if isinstance(value, str) else dumps(value)
    return ok(chat_completion(text, **kwargs))


def error(
    status: int, message: str, etype: str = "invalid_request_error", **headers: str
) -> dict[str, Any]:
    return {"status": status, "headers": headers,
            "body": {"error": {"message": message, "type": etype, "param": None, "code": None}}}  # fmt: skip


def an_error(status: int, message: str, etype: str, **headers: str) -> dict[str, Any]:
    body = {"type": "error", "error": {"type": etype, "message": message}, "request_id": "req_an_9"}
    return {"status": status, "headers": headers, "body": body}


def ex(route: str, response: dict[str, Any]) -> dict[str, Any]:
    return {"route": route, "response": response}


RESET = {"reset": True}

DRAFTS: dict[str, dict[str, Any]] = {
    # -- workflows: scatter, bindings, templates, branches -------------------------------
    "triage-scatter": {
        "description": "Scatter over two tickets (one with its members out of contract order), "
        "then a reduce step on Anthropic; outputs kept in input order.",
        "workflow": "triage",
        "input": {"tickets": [T1, T2]},
        "exchanges": [
            ex("oa", oa(triage("T-1"))),
            ex("oa", oa(triage("T-2", "bug", 5, note="Outage."))),
            ex("an", an({"headline": "One outage, one double charge.", "count": 2}, name="Digest")),
        ],
    },
    "triage-empty": {
        "description": "A scatter over no items makes no call; the next step gets an empty array.",
        "workflow": "triage",
        "input": {"tickets": []},
        "exchanges": [ex("an", an({"headline": "Nothing today."}, name="Digest"))],
    },
    "scatter-skip-400": {
        "description": "on_error: skip turns an item refused with 400 into null.",
        "workflow": "triage_skip",
        "input": {"tickets": [T1, T2, T3]},
        "exchanges": [
            ex("oa", oa(triage("T-1"))),
            ex("oa", error(400, "Invalid ticket.")),
            ex("oa", oa(triage("T-3", "account", 2))),
        ],
    },
    "scatter-skip-after-retries": {
        "description": "A skipped item whose calls all failed still shows its three attempts "
        "and their tokens.",
        "workflow": "triage_skip",
        "input": {"tickets": [T1, T2]},
        "exchanges": [
            ex("oa", oa(triage("T-1"))),
            ex("oa", error(503, "Busy.", "server_error", **{"retry-after-ms": "1"})),
            ex("oa", error(503, "Busy.", "server_error", **{"retry-after-ms": "1"})),
            ex("oa", error(503, "Still busy.", "server_error")),
        ],
    },
    "templates": {
        "description": "Paths, ${prev.output}, object and string templates, non-string values "
        "interpolated, and paths that lead nowhere.",
        "workflow": "words",
        "input": {
            "flags": {"zeta": False, "loud": True},
            "count": 3,
            "ratio": 0.5,
            "ticket": T1,
            "nothing": None,
        },
        "exchanges": [
            ex("oa", oa({"text": "REFUND"})),
            ex("oa", oa({"text": "REFUND!"})),
            ex("oa", oa({"text": "N=3", "note": "ok"})),
            ex("oa_once", oa({"text": "DONE"})),
        ],
    },
    "scatter-index-skip": {
        "description": "${index} and ${item} in a scatter template; a failed item is skipped; "
        "the summary sees null for it.",
        "workflow": "indexed",
        "input": {"words": ["hi", "oops", "yo"]},
        "exchanges": [
            ex("oa_once", oa({"text": "0:HI"})),
            ex("oa_once", error(400, "No.")),
            ex("oa_once", oa({"text": "2:YO"})),
            ex("oa", oa({"text": "DONE"})),
        ],
    },
    "parallel-needs": {
        "description": "Two branches that need nothing of each other, then a step that needs both.",
        "workflow": "parallel",
        "input": {"b": "right", "a": "left"},
        "exchanges": [
            ex("oa", oa({"text": "LEFT"})),
            ex("oa_once", oa({"text": "RIGHT"})),
            ex("oa", oa({"text": "LEFT+RIGHT"})),
        ],
    },
    # -- providers and modes ------------------------------------------------------------
    "openai-strict": {
        "description": "OpenAI Responses with a strict json_schema; an optional property the "
        "model sends as null is dropped.",
        "workflow": "one_ticket",
        "input": T2,
        "exchanges": [ex("oa", oa(triage("T-2", "bug", 5, note=None), tokens=(40, 12)))],
    },
    "anthropic-tool": {
        "description": "Anthropic Messages with a forced tool.",
        "workflow": "one_ticket_an",
        "input": T2,
        "exchanges": [ex("an", an(triage("T-2", "bug", 4), name="Triage"))],
    },
    "anthropic-native": {
        "description": "Anthropic Messages with native output_config.",
        "workflow": "one_ticket_native",
        "input": T1,
        "exchanges": [ex("an_native", an_text(dumps(triage("T-1"))))],
    },
    "compatible-json-schema": {
        "description": "OpenAI-compatible Chat Completions with json_schema.",
        "workflow": "one_ticket_cc",
        "input": T2,
        "exchanges": [ex("cc", cc(triage("T-2", "bug", 4)))],
    },
    "openai-json-object": {
        "description": "json_object mode: the schema is described in the instructions.",
        "workflow": "one_ticket_json",
        "input": T1,
        "exchanges": [ex("oa_json", oa(triage("T-1")))],
    },
    "prompt-mode-fenced": {
        "description": "prompt mode: the schema in the system prompt; the answer's JSON is "
        "found in a fenced block of prose.",
        "workflow": "one_ticket_prompt",
        "input": T1,
        "exchanges": [ex("cc_prompt", cc("Sure!\n```json\n" + dumps(triage("T-1")) + "\n```"))],
    },
    "auto-downgrade": {
        "description": "auto mode on a server that refuses json_schema: the same turns go "
        "again at once in json_object mode.",
        "workflow": "one_ticket_auto",
        "input": T1,
        "exchanges": [
            ex(
                "cc_auto",
                {"status": 400, "body": {"error": "response_format json_schema is not supported"}},
            ),
            ex("cc_auto", cc(triage("T-1"))),
        ],
    },
    "non-object-output": {
        "description": "An array output is wrapped under value on both wire formats and "
        "unwrapped on the way back.",
        "workflow": "ticket_labels",
        "input": T1,
        "exchanges": [
            ex("oa", oa({"value": ["refund", "billing"]})),
            ex("an", an({"value": ["refund"]}, name="Labels")),
        ],
    },
    "route-params-headers": {
        "description": "The assistant's temperature wins over the route's; max_tokens and the "
        "route's own headers are sent.",
        "workflow": "params",
        "input": {"note": "n", "text": "hi"},
        "exchanges": [ex("oa_params", oa({"text": "HI"}))],
    },
    # -- retries ------------------------------------------------------------------------
    "retry-429-retry-after": {
        "description": "429 with retry-after-ms, then an answer.",
        "workflow": "one_ticket",
        "input": T1,
        "exchanges": [
            ex("oa", error(429, "Slow down.", "rate_limit_error", **{"retry-after-ms": "1"})),
            ex("oa", oa(triage("T-1"))),
        ],
    },
    "retry-5xx": {
        "description": "503, then an answer.",
        "workflow": "one_ticket_an",
        "input": T1,
        "exchanges": [
            ex("an", an_error(529, "Overloaded.", "overloaded_error")),
            ex("an", an(triage("T-1"), name="Triage")),
        ],
    },
    "retry-reset": {
        "description": "The connection is closed without an answer, then an answer.",
        "workflow": "one_ticket_cc",
        "input": T1,
        "exchanges": [ex("cc", RESET), ex("cc", cc(triage("T-1")))],
    },
    "retry-malformed": {
        "description": "A 200 whose body is not JSON, then an answer.",
        "workflow": "one_ticket",
        "input": T1,
        "exchanges": [
            ex("oa", {"status": 200, "text": "<html>gateway</html>"}),
            ex("oa", oa(triage("T-1"))),
        ],
    },
    "retry-no-choices": {
        "description": "A Chat Completions body without choices, then an answer.",
        "workflow": "one_ticket_cc",
        "input": T1,
        "exchanges": [
            ex("cc", ok({"id": "x", "object": "chat.completion", "choices": []})),
            ex("cc", cc(triage("T-1"))),
        ],
    },
    "retry-exhausted-429": {
        "description": "429 on every attempt: R002.",
        "workflow": "one_ticket",
        "input": T1,
        "exchanges": [
            ex("oa", error(429, "Slow down.", "rate_limit_error", **{"retry-after-ms": "1"}))
            for _ in range(3)
        ],
    },
    "should-retry-false": {
        "description": "x-should-retry: false wins over a retryable 500.",
        "workflow": "one_ticket",
        "input": T1,
        "exchanges": [
            ex("oa", error(500, "Do not retry.", "server_error", **{"x-should-retry": "false"}))
        ],
    },
    "should-retry-true": {
        "description": "x-should-retry: true makes a 400 retryable.",
        "workflow": "one_ticket",
        "input": T1,
        "exchanges": [
            ex("oa", error(400, "Try again.", **{"x-should-retry": "true", "retry-after-ms": "1"})),
            ex("oa", oa(triage("T-1"))),
        ],
    },
    # -- repair -------------------------------------------------------------------------
    "repair-schema": {
        "description": "An answer that does not fit the contract is re-asked with the problems.",
        "workflow": "one_ticket",
        "input": T1,
        "exchanges": [
            ex("oa", oa({"ticket_id": "T-1", "category": "refund", "urgency": 7, "extra": 1})),
            ex("oa", oa(triage("T-1"))),
        ],
    },
    "repair-not-json": {
        "description": "An answer that is not JSON is re-asked without a parser's message.",
        "workflow": "one_ticket_cc",
        "input": T1,
        "exchanges": [ex("cc", cc("I think it is billing.")), ex("cc", cc(triage("T-1")))],
    },
    "repair-truncated": {
        "description": "An answer cut off at max_output_tokens is re-asked as cut off.",
        "workflow": "one_ticket",
        "input": T1,
        "exchanges": [
            ex("oa", oa('{"ticket_id": "T-', status="incomplete", incomplete="max_output_tokens")),
            ex("oa", oa(triage("T-1"))),
        ],
    },
    "repair-anthropic-tool": {
        "description": "A tool input that misses a property: the assistant turn is the tool "
        "input as canonical JSON.",
        "workflow": "one_ticket_an",
        "input": T1,
        "exchanges": [
            ex("an", an({"urgency": 9, "ticket_id": "T-1"}, name="Triage")),
            ex("an", an(triage("T-1"), name="Triage")),
        ],
    },
    "repair-exhausted": {
        "description": "Still invalid after the repair: R006 with the problems.",
        "workflow": "one_ticket",
        "input": T1,
        "exchanges": [
            ex("oa", oa({"ticket_id": 1, "category": "bug", "urgency": 0})),
            ex("oa", oa({"ticket_id": "T-1", "category": "bug"})),
        ],
    },
    "repair-none-left": {
        "description": "A route with repair_attempts: 0 fails at the first invalid answer.",
        "workflow": "once",
        "input": {"text": "hi"},
        "exchanges": [ex("oa_once", oa({"note": "no text"}))],
    },
    # -- fallbacks ----------------------------------------------------------------------
    "fallback-after-503": {
        "description": "The primary route gives up after its two attempts; the fallback on "
        "another provider answers.",
        "workflow": "fallback",
        "input": {"text": "hi"},
        "exchanges": [
            ex("primary", error(503, "Down.", "server_error", **{"retry-after-ms": "1"})),
            ex("primary", error(503, "Down.", "server_error")),
            ex("backup", an({"text": "HI"}, name="Word")),
        ],
    },
    "fallback-all-fail": {
        "description": "Every route of the chain fails: the last route's error.",
        "workflow": "fallback",
        "input": {"text": "hi"},
        "exchanges": [
            ex("primary", error(503, "Down.", "server_error", **{"retry-after-ms": "1"})),
            ex("primary", error(503, "Down.", "server_error")),
            ex(
                "backup",
                an_error(529, "Overloaded.", "overloaded_error", **{"retry-after-ms": "1"}),
            ),
            ex("backup", an_error(529, "Still overloaded.", "overloaded_error")),
        ],
    },
    "no-fallback-on-400": {
        "description": "A 400 is our mistake: no fallback.",
        "workflow": "fallback",
        "input": {"text": "hi"},
        "exchanges": [ex("primary", error(400, "Bad field.", **{"x-request-id": "req_42"}))],
    },
    # -- refusals and errors ------------------------------------------------------------
    "refusal-openai": {
        "description": "An OpenAI refusal fails the call with R007, not retried.",
        "workflow": "one_ticket",
        "input": T1,
        "exchanges": [],  # set below
    },
    "refusal-anthropic": {
        "description": "An Anthropic refusal (stop_reason refusal) with its reason.",
        "workflow": "one_ticket_an",
        "input": T1,
        "exchanges": [ex("an", an_text("I cannot help with that.", stop_reason="refusal"))],
    },
    "auth-401": {
        "description": "401: R001, not retried.",
        "workflow": "one_ticket",
        "input": T1,
        "exchanges": [ex("oa", error(401, "Incorrect API key.", "invalid_request_error"))],
    },
    "not-found-404": {
        "description": "404 from Anthropic with its error shape and request id.",
        "workflow": "one_ticket_an",
        "input": T1,
        "exchanges": [ex("an", an_error(404, "model: claude-sonnet-5-5", "not_found_error"))],
    },
    "compatible-error-string": {
        "description": "LM Studio's plain-string error body.",
        "workflow": "one_ticket_cc",
        "input": T1,
        "exchanges": [ex("cc", {"status": 422, "body": {"error": "Unknown model llama3.1"}})],
    },
    "input-invalid": {
        "description": "The workflow input does not fit its contract: E502, no request.",
        "workflow": "one_ticket",
        "input": {"id": "T-1", "subject": 7},
        "exchanges": [],
    },
    "step-input-invalid": {
        "description": "A value that fits the workflow's input but not the assistant's: E500.",
        "workflow": "shorty",
        "input": {"text": "ab"},
        "exchanges": [],
    },
    # -- values -------------------------------------------------------------------------
    "unicode": {
        "description": "Non-ASCII text, U+2028, quotes, backslashes and control characters.",
        "workflow": "unicode",
        "input": {"text": 'héllo "wörld" \\ \u2028 \t\u0001 😀 <&>', "note": "naïve"},
        "exchanges": [
            ex("oa", oa({"text": 'HÉLLO "WÖRLD" \\ \u2028 😀 <&>'})),
            ex("oa_once", oa({"text": "«ok»"})),
        ],
    },
    "numbers": {
        "description": "Numbers as doubles, written as ECMAScript writes them.",
        "workflow": "echo_numbers",
        "input": {
            "label": "n",
            "values": [
                0.1,
                100,
                3.0,
                -0.0,
                1e21,
                1e-7,
                2.5e-10,
                12345678901234567891,
                123456.789,
                -42,
            ],
        },
        "exchanges": [ex("oa", oa({"values": [1.5, 2e22, 7], "label": "N"}))],
    },
}

# the refusal body: an OpenAI response whose only content is a refusal
_body = openai_response("x")
_body["output"][0]["content"] = [{"type": "refusal", "refusal": "I can't help with that."}]
DRAFTS["refusal-openai"]["exchanges"] = [ex("oa", ok(_body))]
