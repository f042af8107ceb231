"""newscrawl inside other tools: the Datasette plugin."""
