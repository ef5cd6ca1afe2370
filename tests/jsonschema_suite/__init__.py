"""Conformance of aiwf contracts with the official JSON-Schema-Test-Suite (draft 2020-12)."""
