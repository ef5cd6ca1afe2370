"""Your own code for document_extraction: helpers around the generated assistants and workflows.

aiwf never regenerates this file; `copier update` merges template changes into it.
"""

from __future__ import annotations

__all__: list[str] = []
