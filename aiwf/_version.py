"""The release facts of aiwf, each written once.

``__version__`` is the one place a release changes (``nox -s release -- X.Y.Z`` writes it;
pyproject.toml reads it; the SDK template version follows it). ``REPOSITORY`` is the
project's public git repository: the template source every generated SDK records in its
``.copier-answers.yml`` (a project config can name a fork or mirror instead).
"""

__version__ = "0.1.0"

#: The project's public repository (web and git), the source copier records for SDKs.
REPOSITORY = "https://github.com/aiwf-dev/aiwf"
#: The git URL of :data:`REPOSITORY`, as copier records and clones it.
TEMPLATE_SOURCE = REPOSITORY + ".git"
