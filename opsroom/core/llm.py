"""An optional language model: any OpenAI-compatible chat-completions endpoint.

Configured by OPSROOM_LLM_BASE_URL (e.g. https://api.openai.com/v1 or a local server's /v1),
OPSROOM_LLM_API_KEY and OPSROOM_LLM_MODEL. Without them `llm_configured()` is False and callers
fall back to what they can do without a model, saying so.
"""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings


class LlmError(Exception):
    """The endpoint could not be reached or gave no usable answer."""


@dataclass(frozen=True)
class LlmReply:
    text: str
    model: str
    prompt_tokens: int | None
    completion_tokens: int | None


def llm_configured() -> bool:
    """Whether a language model endpoint is configured."""
    return bool(settings.OPSROOM_LLM_BASE_URL and settings.OPSROOM_LLM_MODEL)


def llm_chat(
    *, messages: list[dict[str, str]], max_tokens: int = 600, temperature: float = 0.2
) -> LlmReply:
    """Send a chat to the configured endpoint and return its answer."""
    if not llm_configured():
        raise LlmError("no language model is configured")
    base = settings.OPSROOM_LLM_BASE_URL.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise LlmError("OPSROOM_LLM_BASE_URL must be an http(s) URL")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if settings.OPSROOM_LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.OPSROOM_LLM_API_KEY}"
    body = {
        "model": settings.OPSROOM_LLM_MODEL,
        "messages": messages,
        "max_tokens": max_tokens,
        "temperature": temperature,
    }
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        f"{base}/chat/completions", data=json.dumps(body).encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(  # noqa: S310 - the scheme is checked above
            request, timeout=settings.OPSROOM_LLM_TIMEOUT
        ) as response:
            payload: Any = json.loads(response.read().decode())
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:200]
        raise LlmError(f"the model endpoint answered HTTP {exc.code}: {detail}") from exc
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise LlmError(f"the model endpoint could not be reached: {exc}") from exc
    try:
        text = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise LlmError("the model endpoint's answer has no choices[0].message.content") from exc
    if not isinstance(text, str) or not text.strip():
        raise LlmError("the model endpoint gave an empty answer")
    usage = payload.get("usage") or {}
    return LlmReply(
        text=text.strip(),
        model=str(payload.get("model") or settings.OPSROOM_LLM_MODEL),
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
    )
