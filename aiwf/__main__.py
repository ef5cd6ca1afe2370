"""``python -m aiwf`` runs the command-line interface."""

from aiwf._entry import main

if __name__ == "__main__":  # pragma: no cover - exercised through subprocess tests
    main()
