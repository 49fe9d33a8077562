"""`python -m cli` runs the newsdedup command line."""

from cli.app import main

main()
