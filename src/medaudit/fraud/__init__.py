"""Big-data anti-fraud models (大数据反欺诈模型): features in SQL, scoring in Python, clues out.

Rules judge one encounter against the knowledge base; these models look across many encounters,
patients, staff and institutions and emit scored, explained clues (线索) for investigators.
"""

from .model import CLUES_SCHEMA, Clue, FraudModel, ModelSpec, Param, clue_id
from .registry import MODELS, load_fraud_pack

__all__ = ["CLUES_SCHEMA", "Clue", "FraudModel", "ModelSpec", "Param", "clue_id", "MODELS", "load_fraud_pack"]
