"""Alembic environment: migrations run on the engine the app hands over, never on a URL."""

from alembic import context

from app.store.models import Base

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copy-and-move
    )
    context.run_migrations()
