"""Alembic's environment: migrations run on the connection ``migrations.migrate`` hands over, inside its
transaction (which holds the library's write lock), so two processes opening an old library migrate it once."""

from alembic import context

context.configure(connection=context.config.attributes["connection"], transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
