"""What every table module shares."""

import sqlalchemy as sa

# Big integer ids on PostgreSQL; SQLite only auto-increments INTEGER PRIMARY KEY.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
