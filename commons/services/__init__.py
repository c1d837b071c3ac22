"""Domain services: each takes a database session; views and the CLI stay thin."""
