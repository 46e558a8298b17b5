"""Chat engines: one small interface over llama.cpp, OpenAI-compatible endpoints and MLX."""
