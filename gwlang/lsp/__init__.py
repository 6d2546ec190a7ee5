"""The language server (`gwc lsp`): editors get the compiler's diagnostics, schema and `explain` where they type."""
