"""The standard's quality figures and the staffing advice (issue 12): SQL counts, pure
definitions and Erlang C, a supervisor's API with CSV export."""
