"""Connection URLs as people paste them ("postgresql://ann@db:5432/sales?sslmode=require")
turned into a connection type's form values."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

# The URL schemes each type takes (a SQLAlchemy driver suffix, "+psycopg2", is ignored).
SCHEMES = {"postgresql": ("postgresql", "postgres"), "mysql": ("mysql", "mariadb"),
           "mariadb": ("mariadb", "mysql")}
# Query parameters that are form fields of the type, by their spellings in the wild.
_MYSQL_QUERY = {"ssl_mode": "ssl_mode", "sslmode": "ssl_mode", "ssl_ca": "ssl_ca"}
QUERY_FIELDS = {
    "postgresql": {"sslmode": "sslmode", "sslrootcert": "sslrootcert"},
    "mysql": _MYSQL_QUERY,
    "mariadb": _MYSQL_QUERY,
}
MODE_FIELDS = ("sslmode", "ssl_mode")  # values as the form spells them: verify-ca


def takes_url(type_key: str) -> bool:
    return type_key in SCHEMES


def from_url(type_key: str, url: str) -> dict[str, str]:
    """The form values a URL names (only those it names). Raises ValueError with a
    sentence for the user when the URL is not one of this type's."""
    text = url.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.split("+")[0].lower()
    allowed = SCHEMES[type_key]
    if scheme not in allowed:
        raise ValueError(f"A {type_key} URL starts with {allowed[0]}://, such as "
                         f"{allowed[0]}://user@host:{5432 if type_key == 'postgresql' else 3306}"
                         "/database.")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"The port in {text!r} is not a number from 1 to 65535.") from exc
    values: dict[str, str] = {}
    if parts.hostname:
        values["host"] = parts.hostname
    if port:
        values["port"] = str(port)
    if parts.path.strip("/"):
        values["database"] = unquote(parts.path.strip("/"))
    if parts.username:
        values["user"] = unquote(parts.username)
    if parts.password:
        values["password"] = unquote(parts.password)
    for name, found in parse_qs(parts.query).items():
        field = QUERY_FIELDS[type_key].get(name.lower().replace("-", "_"))
        if field:
            value = found[-1]
            values[field] = value.lower().replace("_", "-") if field in MODE_FIELDS else value
    if "host" not in values:
        raise ValueError(f"{text!r} names no host.")
    return values
