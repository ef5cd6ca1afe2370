"""One module per ``aiwf`` subcommand; each exports a click ``command``. Commands are thin:
they parse options, call the stages, and render results."""
