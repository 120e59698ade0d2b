"""The assistant over HTTP, on the same server as the web UI:

- `/ask`, a named Gradio endpoint: (question, history_json) → the `ask --json` object
  (ask.py);
- `POST /v1/chat/completions` and `GET /v1/models`, OpenAI-compatible, so any OpenAI client
  (or a chat front end that speaks that protocol) can use the assistant: the router speaks
  HTTP, the service answers (openai/openai_router.py, openai/openai_service.py);
- what every route takes in: checked questions and parsed history (questions.py).

Every route only reads the knowledge base; changing it is the admin UI's job.
"""

from assistant.web.api.ask import add_ask_endpoint, question_queue, warm_up
from assistant.web.api.openai.openai_router import MAX_REQUEST_BYTES, openai_router
from assistant.web.api.openai.openai_service import MODEL_ID
from assistant.web.api.questions import QuestionError, check_question, strip_sources

__all__ = [
    "MAX_REQUEST_BYTES",
    "MODEL_ID",
    "QuestionError",
    "add_ask_endpoint",
    "check_question",
    "openai_router",
    "question_queue",
    "strip_sources",
    "warm_up",
]
