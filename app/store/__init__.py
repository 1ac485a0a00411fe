"""The metadata store: a SQLite file in WAL mode, migrated with Alembic at start-up
(app.store.db), and read without SQLAlchemy for the window's first look
(app.store.snapshot). Importing the package itself loads neither."""

# The newest migration. A store already there opens without importing Alembic (start-up
# time), and only a store at this revision is read by a snapshot; a test keeps this equal
# to the head of migrations/versions.
HEAD_REVISION = "0005"
