"""What users and clients see: the Gradio UI, the HTTP API, UI texts and feedback."""
