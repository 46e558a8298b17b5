"""GGUF in and out: a trainable base from a GGUF, LoRA adapters and fused models back to GGUF.

Everything here works through gguf-py and llama-cpp-python's own bindings, so
no external llama.cpp binary is needed on any platform. Heavy imports (numpy,
gguf, torch, llama_cpp) stay inside the functions.
"""
