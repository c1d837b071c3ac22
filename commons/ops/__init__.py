"""Operations: health checks and repair, backup and restore, evaluation, the server, schema migrations."""
