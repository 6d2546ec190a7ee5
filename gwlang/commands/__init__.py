"""The subcommands of `gwc` beyond `eval`, one module each; `cli.py` registers them."""
