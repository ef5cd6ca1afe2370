"""SDK generation: IR -> typed SDKs through copier templates, and drift checks.

Two layers per SDK (see docs/architecture.md): the *scaffold* (package metadata, README, an
extension module for the consumer's code) that copier creates and 3-way merges on update
(:mod:`~aiwf._generate.scaffold`, the only module that imports copier), and the *generated*
files that aiwf renders from the IR with plain Jinja2 on every ``aiwf sdk``
(:mod:`~aiwf._generate.render`, :mod:`~aiwf._generate.writer`) and compares on ``aiwf check``
(:mod:`~aiwf._generate.drift`). Targets are one module per language
(:mod:`aiwf._generate.targets`).
"""
