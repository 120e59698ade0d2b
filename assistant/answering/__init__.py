"""Answerers: turn a question and its numbered passages into answer text."""
