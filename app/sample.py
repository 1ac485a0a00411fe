"""Sample data for a first try: a small shop in a SQLite file (customers, products, orders,
order lines: some thousands of rows with realistic names and types, an `updated_at` on every
table), a connection to it and a job into the local warehouse. No password: it works on a
machine with no keyring at all.

The database is made by this module, the same every time (a seeded generator), in the data
folder, rather than shipped as a binary file: its content is reviewable here.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from app import paths

CONNECTION = "Sample shop"
JOB = "Sample shop ETL"
SEED = 20261130
CUSTOMERS, PRODUCTS, ORDERS = 800, 120, 3000

FIRST = ["Anna", "Ben", "Chloé", "Dmitri", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jonas",
         "Kasia", "Liam", "Maya", "Nikolai", "Olivia", "Pedro", "Quinn", "Rosa", "Sven",
         "Tomás", "Uma", "Viktor", "Wen", "Yara", "Zoë"]
LAST = ["Andersen", "Becker", "Costa", "Dubois", "Evans", "Fischer", "García", "Hansen",
        "Ivanova", "Jensen", "Kowalski", "López", "Müller", "Nowak", "O'Brien", "Petrov",
        "Rossi", "Schmidt", "Tanaka", "Umarov", "Varga", "Wójcik", "Yilmaz", "Zhang"]
COUNTRIES = ["DE", "FR", "PL", "ES", "IT", "NL", "SE", "GB", "US", "JP"]
CATEGORIES = {"Coffee": ["Espresso beans", "Filter roast", "Decaf blend", "Cold brew pack"],
              "Tea": ["Sencha", "Earl Grey", "Rooibos", "Chai mix"],
              "Kitchen": ["Pour-over kettle", "Burr grinder", "Milk frother", "Scale"],
              "Cups": ["Ceramic mug", "Glass tumbler", "Travel cup", "Espresso cup set"]}
STATUSES = ["placed", "paid", "shipped", "delivered", "cancelled", "returned"]

SCHEMA = """
create table customers (
    id integer primary key, name text not null, email text not null unique, country text,
    signed_up date not null, updated_at datetime not null);
create table products (
    id integer primary key, name text not null, category text not null,
    price numeric(8,2) not null, in_stock boolean not null, updated_at datetime not null);
create table orders (
    id integer primary key, customer_id integer not null references customers(id),
    ordered_at datetime not null, status text not null, total numeric(10,2) not null,
    note text, updated_at datetime not null);
create table order_lines (
    order_id integer not null references orders(id),
    line integer not null, product_id integer not null references products(id),
    quantity integer not null, unit_price numeric(8,2) not null,
    primary key (order_id, line));
"""


def database_path() -> Path:
    return paths.data_dir() / "sample" / "shop.sqlite"


def write_database(path: Path) -> Path:
    """Make the sample database at `path` (a new file; the same content every time)."""
    rng = random.Random(SEED)
    start = datetime(2026, 1, 1, 8, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.unlink(missing_ok=True)
    db = sqlite3.connect(part)
    try:
        db.executescript(SCHEMA)

        def stamp(moment: datetime) -> str:
            return moment.strftime("%Y-%m-%d %H:%M:%S")

        customers = []
        for i in range(1, CUSTOMERS + 1):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            signed = start - timedelta(days=rng.randint(0, 900))
            email = f"{first}.{last}.{i}@example.com".lower().replace("'", "")
            customers.append((i, f"{first} {last}", email, rng.choice(COUNTRIES),
                              signed.date().isoformat(),
                              stamp(signed + timedelta(days=rng.randint(0, 300)))))
        db.executemany("insert into customers values (?, ?, ?, ?, ?, ?)", customers)
        products = []
        for i in range(1, PRODUCTS + 1):
            category = rng.choice(list(CATEGORIES))
            name = f"{rng.choice(CATEGORIES[category])} No. {i}"
            products.append((i, name, category, round(rng.uniform(3, 180), 2),
                             rng.random() > 0.1, stamp(start - timedelta(hours=i))))
        db.executemany("insert into products values (?, ?, ?, ?, ?, ?)", products)
        prices = {p[0]: p[3] for p in products}
        orders, lines = [], []
        for i in range(1, ORDERS + 1):
            placed = start + timedelta(minutes=i * 37 + rng.randint(0, 30))
            items = [(rng.randint(1, PRODUCTS), rng.randint(1, 4))
                     for _ in range(rng.randint(1, 5))]
            total = round(sum(prices[p] * q for p, q in items), 2)
            note = rng.choice([None, None, None, "gift wrap", "leave at the door",
                               "call before delivery"])
            orders.append((i, rng.randint(1, CUSTOMERS), stamp(placed), rng.choice(STATUSES),
                           total, note, stamp(placed + timedelta(hours=rng.randint(0, 72)))))
            lines.extend((i, n, p, q, prices[p]) for n, (p, q) in enumerate(items, 1))
        db.executemany("insert into orders values (?, ?, ?, ?, ?, ?, ?)", orders)
        db.executemany("insert into order_lines values (?, ?, ?, ?, ?)", lines)
        db.commit()
    finally:
        db.close()
    part.replace(path)
    return path


def _exists(get, missing: type[Exception], name: str = CONNECTION) -> bool:
    try:
        get(name)
    except missing:
        return False
    return True


@dataclass
class Sample:
    connection: str
    job: str
    said: list[str]  # two lines: what happened, what to press


def create_sample(ctx) -> Sample:
    """The sample database (made if missing), a connection to it (tested first) and a job
    into the local warehouse; what is there already is kept."""
    from app.etl.spec import TableSpec
    from app.services.connections import ConnectionService, Draft
    from app.services.errors import NotFound, ServiceError
    from app.services.jobs import JobService
    from app.services.views import JobDraft

    path = database_path()
    if not path.is_file():
        write_database(path)
    conns, jobs = ConnectionService(ctx), JobService(ctx)
    if not _exists(conns.get, NotFound):
        draft = Draft("sqlite", CONNECTION, {"path": str(path)})
        proof = conns.test(draft)
        if not proof.result.ok:
            raise ServiceError(f"The sample database cannot be opened: "
                               f"{proof.result.message}")
        conns.create(draft, proof)
    if not _exists(jobs.get, NotFound, JOB):
        jobs.create(JobDraft(JOB, CONNECTION, [
            TableSpec("orders", mode="incremental", cursor="updated_at", primary_key=["id"]),
            TableSpec("customers"), TableSpec("products"), TableSpec("order_lines")]))
    return Sample(CONNECTION, JOB, [
        f"Made the connection “{CONNECTION}” (a small shop in SQLite: {CUSTOMERS:,} customers, "
        f"{ORDERS:,} orders) and the job “{JOB}”, which copies its four tables into the "
        "local warehouse (orders incrementally, on updated_at).",
        "Press Run on the job's card to copy them, then Preview to see the rows that landed."])
