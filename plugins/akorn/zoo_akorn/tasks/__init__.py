"""Tasks of the AKOrN plugin: object discovery and Sudoku."""
