"""Highlighting gw: the keyword list from the grammar, a Pygments lexer, and a TextMate grammar (editors/)."""
