"""gradient-service: the HTTP front door (FastAPI) over the ``engine`` library."""
