"""The pipeline benchmark: how long `make deploy`'s pipeline takes, first run and again."""
