"""Alembic environment: runs on the connection the store hands in (no URL in any config file)."""

from alembic import context

from crossingwatch.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
