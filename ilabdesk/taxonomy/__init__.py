"""InstructLab taxonomy: leaves, the tree, validation, diff, format, documents."""
