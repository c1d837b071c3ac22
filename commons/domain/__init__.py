"""Rules with no database session and no Flask: the case-study format, vocabulary, comparability, privacy, errors."""
