"""`python -m nautilus_node` runs the command-line interface."""

from nautilus_node.cli import main

if __name__ == "__main__":
    main()
