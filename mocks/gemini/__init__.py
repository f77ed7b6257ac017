"""A mock of the Google Gemini API (generateContent, streaming, countTokens, embeddings, models)."""
