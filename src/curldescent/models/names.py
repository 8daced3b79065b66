"""Names of the built-in learning fields (no JAX here: the CLI lists them in its help)."""

RULE_CASES = ("gradient", "curl", "feedback_alignment")
MODEL_CASES = (
    "ei",
    "ei-no-inhibitory-input",
    "ei-uncorrelated-input",
    "hebbian-mixed",
    "hebbian-pure",
    "pehlevan",
)
#: the built-in cases; :func:`curldescent.models.catalog.cases` adds every rule registered since
CASES = RULE_CASES + MODEL_CASES
ORDERS = ("1", "3", "exact")
