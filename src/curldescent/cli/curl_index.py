"""``curldescent curl-index`` (placeholder: being written in this session)."""


def curl_index() -> None:
    """Measure how far a learning rule is from a gradient flow."""
    raise NotImplementedError
