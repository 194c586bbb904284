"""One module per model; importing this package registers them in run order."""

from . import resale, cashout, phantom_stay, ring, peer_outlier, key_drug, suspicion  # noqa: F401, I001
