"""Names of the built-in learning fields (no JAX here: the CLI lists them in its help)."""

RULE_CASES = ("gradient", "curl", "feedback_alignment")
CASES = RULE_CASES + (
    "ei",
    "ei-no-inhibitory-input",
    "ei-uncorrelated-input",
    "hebbian-mixed",
    "hebbian-pure",
    "pehlevan",
)
ORDERS = ("1", "3", "exact")
