"""PostgreSQL: the asyncpg pool, plain-SQL migrations, and loading named SQL blocks."""
