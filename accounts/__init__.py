"""Users, login, passwords, and the roles they hold over units."""
