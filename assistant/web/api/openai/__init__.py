"""The OpenAI-compatible API: `openai_router` speaks HTTP (body limits, validation, status
codes), `openai_service` answers (completions, streamed chunks, the model list)."""
