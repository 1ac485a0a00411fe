"""Connection URLs pasted into the form become its fields."""

from __future__ import annotations

import pytest

from app.connectors.urls import from_url


@pytest.mark.parametrize("type_key, url, values", [
    ("postgresql", "postgresql://ann@db.example.com:5432/sales?sslmode=require",
     {"host": "db.example.com", "port": "5432", "database": "sales", "user": "ann",
      "sslmode": "require"}),
    ("postgresql", "postgres://ann:p%40ss@[::1]/my%20db",
     {"host": "::1", "database": "my db", "user": "ann", "password": "p@ss"}),
    ("postgresql", "postgresql+psycopg2://u@h:6543/d",
     {"host": "h", "port": "6543", "database": "d", "user": "u"}),
    ("mysql", "mysql://root:secret@127.0.0.1:3306/shop",
     {"host": "127.0.0.1", "port": "3306", "database": "shop", "user": "root",
      "password": "secret"}),
    ("mariadb", "mysql+pymysql://app@maria.local/crm",
     {"host": "maria.local", "database": "crm", "user": "app"}),
    ("mariadb", "mariadb://app@maria.local:3307/crm",
     {"host": "maria.local", "port": "3307", "database": "crm", "user": "app"}),
    ("mysql", "mysql://app@db/crm?ssl-mode=VERIFY_IDENTITY&ssl-ca=/etc/ssl/My%20CA.pem",
     {"host": "db", "database": "crm", "user": "app", "ssl_mode": "verify-identity",
      "ssl_ca": "/etc/ssl/My CA.pem"}),
    ("postgresql", "postgresql://u@h/d?sslmode=verify-full&sslrootcert=/certs/Root.crt",
     {"host": "h", "database": "d", "user": "u", "sslmode": "verify-full",
      "sslrootcert": "/certs/Root.crt"}),
])
def test_a_url_fills_the_fields_it_names(type_key, url, values):
    assert from_url(type_key, url) == values


@pytest.mark.parametrize("type_key, url, message", [
    ("postgresql", "mysql://u@h/d", "A postgresql URL starts with postgresql://"),
    ("mysql", "db.example.com:3306", "A mysql URL starts with mysql://"),
    ("postgresql", "postgresql://u@h:99999/d", "is not a number from 1 to 65535"),
    ("postgresql", "postgresql:///d", "names no host"),
])
def test_a_url_of_another_kind_says_why(type_key, url, message):
    with pytest.raises(ValueError, match=message):
        from_url(type_key, url)
