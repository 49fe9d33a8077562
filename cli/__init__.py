"""The Typer command-line interface: thin commands over the cluster library."""
