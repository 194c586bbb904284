"""The rule base (规则库): templates (SQL + metadata), instances and layered packs."""

from .loader import RuleBase, load_rulebase, load_templates
from .model import Instance, Scope, Template

__all__ = ["RuleBase", "Instance", "Scope", "Template", "load_rulebase", "load_templates"]
