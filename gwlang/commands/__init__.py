"""The subcommands of `gwc`, one module each, listed in `cli.COMMANDS` and imported only when chosen.

A command module has `register(commands, common)`, which adds its parser
(`commands.add_parser(NAME, parents=[common], ...)`) with a handler
(`parser.set_defaults(handler=...)`): the handler takes the parsed arguments
and returns the text for stdout, or raises an error of `errors.py`, which
decides the exit code.  Adding a command is one line in `cli.COMMANDS`; import
what the command needs inside its handler when `gwc NAME --help` should not
pay for it.
"""
