"""app/services/job_rules.py: the rules of a job, as the wizard and the service apply them."""

from __future__ import annotations

import pytest

from app.etl.describe import Column, TableShape
from app.etl.runner import TableSpec
from app.scheduling.schedule import Schedule
from app.services import job_rules

SHAPE = TableShape([Column("id", "int32"), Column("updated_at", "timestamp[us]"),
                    Column("note", "string")], ["id"])


@pytest.mark.parametrize("spec, dest, said", [
    (TableSpec("t", mode="incremental"), None, ("cursor", "t: incremental mode needs a "
                                                          "cursor column.")),
    (TableSpec("t", mode="merge"), None, ("primary_key", "t: merge mode needs a primary "
                                                         "key.")),
    (TableSpec("t", mode="append"), "parquet", ("mode", "Parquet takes replace mode (t).")),
    (TableSpec("t", mode="merge", primary_key=["id"]), "csv",
     ("mode", "CSV takes replace mode (t).")),
    (TableSpec("t", mode="incremental", cursor="updated_at", exclude_columns=["updated_at"]),
     None, ("exclude_columns", "t: updated_at cannot be left out (the cursor and key are "
                               "always copied).")),
    (TableSpec("t", mode="incremental", cursor="changed"), None,
     ("columns", "t has no column changed.")),
    (TableSpec("t", mode="replace", lookback="2h"), None,
     ("lookback", "t: a look-back re-reads rows, so it needs a primary key to merge on.")),
])
def test_a_table_that_breaks_a_rule_is_named(spec, dest, said):
    assert said in job_rules.table_problems(spec, dest, SHAPE)


def test_a_good_table_has_no_problems():
    spec = TableSpec("t", mode="incremental", cursor="updated_at", primary_key=["id"])
    assert job_rules.table_problems(spec, "postgresql", SHAPE) == []


def test_the_modes_a_destination_takes_come_from_the_registry():
    assert job_rules.allowed_modes(None) == ("replace", "append", "incremental", "merge")
    assert job_rules.allowed_modes("csv") == ("replace",)
    assert job_rules.allowed_modes("bigquery") == ("replace", "append", "incremental", "merge")


def test_a_job_problem_names_the_schedule_and_the_stall_bound():
    found = job_rules.job_problems([TableSpec("t")], None, {}, Schedule("cron", "0 6 * *"),
                                   stall_seconds=-1)
    fields = [field for field, _ in found]
    assert fields == ["schedule", "stall_seconds"]
