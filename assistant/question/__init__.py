"""A question's path: normalise → condense → retrieve → decide → cite."""
