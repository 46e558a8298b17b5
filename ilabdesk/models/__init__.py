"""The model library: the embedded default, imported GGUF and Hugging Face models."""
