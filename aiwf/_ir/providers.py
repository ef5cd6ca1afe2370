"""The providers aiwf speaks, as one table: their names, the structured-output modes a route
may ask for, what ``auto`` means for each, and the environment variable of the API key.

Every Python layer reads it: the spec format (:mod:`aiwf._spec.models`), the compiler's route
check, the IR's :class:`~aiwf._ir.routes.Route` and the runtime's provider registry
(:data:`aiwf.runtime._providers.PROVIDERS`, one module per wire format). The Go and TypeScript
runtimes (``runtimes/``) are checked against it by the test suite
(``tests/test_providers_table.py``). This module imports nothing: it is on the path of
``aiwf validate``.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

#: A provider name, as ``provider:`` of a route takes it.
Provider = Literal["openai", "anthropic", "openai-compatible"]
#: A ``structured_output:`` value.
StructuredOutput = Literal["auto", "json_schema", "tool", "native", "json_object", "prompt"]


class ProviderFacts(NamedTuple):
    """What the table says of one provider."""

    #: The ``structured_output`` values a route of this provider may name.
    modes: tuple[StructuredOutput, ...]
    #: The mode ``auto`` starts from (the provider's native way).
    auto: StructuredOutput
    #: The environment variable holding the API key when a route names none (None: the
    #: server needs no key unless ``api_key_env`` names one).
    key_env: str | None


PROVIDERS: dict[Provider, ProviderFacts] = {
    "openai": ProviderFacts(
        ("auto", "json_schema", "json_object", "prompt"), "json_schema", "OPENAI_API_KEY"
    ),
    "anthropic": ProviderFacts(("auto", "tool", "native", "prompt"), "tool", "ANTHROPIC_API_KEY"),
    "openai-compatible": ProviderFacts(
        ("auto", "json_schema", "json_object", "prompt"), "json_schema", None
    ),
}
