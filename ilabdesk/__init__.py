"""ilabdesk: the InstructLab loop (taxonomy -> SDG -> LoRA -> GGUF -> chat) on a laptop."""

__version__ = "0.1.0"
