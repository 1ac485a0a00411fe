"""TLS of a saved connection, as each server's own clients name it.

PostgreSQL: libpq's sslmode and CA file (`postgres_options`). MySQL and MariaDB:

- disabled: never encrypted.
- preferred (the default): encrypted when the server offers it, without checking its
  certificate (as the mysql client does); plain where it does not.
- required: encrypted, or the connection is refused; the certificate is not checked.
- verify-ca: encrypted, and the server's certificate is signed by the CA file (or the
  system's authorities).
- verify-identity: as verify-ca, and the certificate names the host connected to.
"""

from __future__ import annotations

import ssl
from typing import Any

NO_SSL = 2026  # the client's "SSL is required but the server doesn't support it"


class Refused(Exception):
    """TLS could not be set up as the connection asks (the message says why)."""


def postgres_options(params: dict) -> dict[str, str]:
    """libpq's TLS options of a PostgreSQL connection (psycopg2, ADBC's URI, SQLAlchemy)."""
    options = {"sslmode": params.get("sslmode") or "prefer"}
    if params.get("sslrootcert"):
        options["sslrootcert"] = params["sslrootcert"]
    return options


def mode(params: dict) -> str:
    return params.get("ssl_mode") or "preferred"


def context(params: dict) -> ssl.SSLContext:
    """The SSL context PyMySQL is given."""
    if mode(params) in ("preferred", "required"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    ctx = ssl.create_default_context(cafile=params.get("ssl_ca") or None)
    ctx.check_hostname = mode(params) == "verify-identity"
    return ctx


def connect(params: dict, **options: Any):
    """pymysql.connect(**options) with the connection's TLS. Raises Refused for TLS, the
    driver's own errors for the rest."""
    import pymysql

    chosen = mode(params)
    try:
        return pymysql.connect(**options, **pymysql_options(params))
    except ssl.SSLError as exc:
        raise Refused(f"TLS with {params.get('host')} failed: {exc.reason or exc}") from exc
    except pymysql.err.OperationalError as exc:
        cause = getattr(exc, "original_exception", None)  # PyMySQL keeps the SSLError
        if isinstance(cause, ssl.SSLError):
            why = cause.verify_message if isinstance(cause, ssl.SSLCertVerificationError) \
                else cause.reason
            raise Refused(f"TLS with {params.get('host')} failed: {why or cause}") from exc
        if not exc.args or exc.args[0] != NO_SSL:
            raise
        if chosen == "preferred":  # the server offers none: plain, as asked
            return pymysql.connect(**options, ssl_disabled=True)
        raise Refused(f"{params.get('host')} does not offer TLS, and this connection "
                      f"requires it (SSL mode {chosen}).") from exc


def encrypted(conn: Any) -> bool:
    """Whether a PyMySQL connection talks TLS."""
    return isinstance(getattr(conn, "_sock", None), ssl.SSLSocket)


def pymysql_options(params: dict) -> dict[str, Any]:
    """The options of `connect` for a driver that takes PyMySQL's (SQLAlchemy); a server
    without TLS then fails under preferred too, where `connect` falls back."""
    return {"ssl_disabled": True} if mode(params) == "disabled" else {"ssl": context(params)}
