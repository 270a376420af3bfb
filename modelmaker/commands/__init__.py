"""The command line: argv parsing and one module per verb; the library never imports these."""
