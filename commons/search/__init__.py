"""The search path: reading the question, retrieval, answerability, ranking."""
