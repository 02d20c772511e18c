"""The workspace store: schema, migrations, sessions — the only package that speaks SQL."""

from sitewatch.store.workspace import HEAD_REVISION, Workspace

__all__ = ["HEAD_REVISION", "Workspace"]
