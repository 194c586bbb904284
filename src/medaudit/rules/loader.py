"""Loading templates and layered rule packs from disk."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import sqlglot
import yaml
from pydantic import ValidationError
from sqlglot import exp
from sqlglot.errors import SqlglotError

from medaudit.errors import RuleError

from .model import CORE_COLUMNS, Instance, PackManifest, ParamSpec, Template

TEMPLATE_DIR = Path(__file__).parent / "templates"
NATIONAL_PACK = Path(__file__).parent / "packs" / "national"


def _load_template(meta_path: Path) -> Template:
    sql_path = meta_path.with_suffix(".sql")
    if not sql_path.exists():
        raise RuleError(f"规则模板缺少SQL文件 / template SQL missing: {sql_path}")
    try:
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
        tpl = Template(**meta, sql=sql_path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, ValidationError) as exc:
        raise RuleError(f"规则模板元数据无效 / invalid template metadata {meta_path.name}: {exc}") from exc
    if tpl.id != meta_path.stem:
        raise RuleError(f"模板ID与文件名不一致 / template id {tpl.id!r} != file {meta_path.stem!r}")
    columns = output_columns(tpl.sql)
    if columns is not None:
        check_columns(tpl, columns, where=sql_path.name)
    for spec in tpl.params:
        problem = param_problem(spec, spec.default)
        if problem:
            raise RuleError(f"规则模板 {meta_path.name} 参数 {spec.name} 的默认值{problem}")
    return tpl


def output_columns(sql: str) -> list[str] | None:
    """The names the query's outermost SELECT returns (the left branch of a UNION), read from the text
    alone so a template missing a column is refused when it loads, whichever engine would run it;
    None when the text cannot tell (``SELECT *``), and the run-time check then names the column."""
    try:
        tree = sqlglot.parse_one(sql.strip().rstrip(";"), read="duckdb")
    except SqlglotError:
        return None  # the compile step reports unparseable SQL with its own message
    while isinstance(tree, exp.SetOperation):
        tree = tree.this
    if not isinstance(tree, exp.Select) or tree.is_star:
        return None
    return list(tree.named_selects)


def param_problem(spec: ParamSpec, value: object) -> str:
    """Why ``value`` is not a valid value of ``spec`` (type, declared bounds), or '' when it is."""
    if spec.type == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return f" {value!r} 不是整数 / is not an integer"
        if spec.min is not None and value < spec.min:
            return f" {value} 小于下限 {spec.min} / is below the minimum {spec.min}"
        if spec.max is not None and value > spec.max:
            return f" {value} 大于上限 {spec.max} / is above the maximum {spec.max}"
    elif spec.type == "bool" and not isinstance(value, bool):
        return f" {value!r} 不是布尔值 / is not a boolean"
    elif spec.type == "str" and not isinstance(value, str):
        return f" {value!r} 不是字符串 / is not a string"
    return ""


@lru_cache(maxsize=4)
def load_templates(directory: Path = TEMPLATE_DIR) -> dict[str, Template]:
    return {p.stem: _load_template(p) for p in sorted(directory.glob("*.yaml"))}


@dataclass
class RuleBase:
    """Templates plus the instances that survive layering (later packs override earlier ones)."""

    templates: dict[str, Template]
    instances: dict[str, Instance]
    versions: dict[str, str] = field(default_factory=dict)

    def active(self, template_ids: list[str] | None = None) -> dict[str, list[Instance]]:
        """Enabled instances grouped by template, optionally restricted to some templates."""
        out: dict[str, list[Instance]] = {}
        for inst in self.instances.values():
            if not inst.enabled or (template_ids is not None and inst.template not in template_ids):
                continue
            out.setdefault(inst.template, []).append(inst)
        return {k: sorted(v, key=lambda i: i.id) for k, v in sorted(out.items())}

    def describe(self, instance: Instance) -> tuple[str, str, int, str]:
        """(action, severity, points, name) with template defaults filled in."""
        tpl = self.templates[instance.template]
        action = instance.action or tpl.default_action
        severity = instance.severity or ("明确违规" if tpl.result_type == "明确" else "可疑")
        points = tpl.default_points if instance.points is None else instance.points
        return action, severity, points, instance.name or tpl.name


def _load_pack(path: Path) -> tuple[PackManifest, list[tuple[Instance, Path]]]:
    """The manifest and every instance with the file it came from (so errors can name it)."""
    file = path / "pack.yaml" if path.is_dir() else path
    try:
        doc = yaml.safe_load(file.read_text(encoding="utf-8"))
        manifest = PackManifest(**doc["manifest"])
        rows = [(row, file) for row in doc.get("instances", [])]
        if path.is_dir():  # a pack folder may split its instances over several files
            for extra in sorted(path.glob("instances*.yaml")):
                rows.extend((row, extra) for row in yaml.safe_load(extra.read_text(encoding="utf-8")) or [])
        instances = [(Instance(**row), src) for row, src in rows]
    except (OSError, KeyError, yaml.YAMLError, ValidationError) as exc:
        raise RuleError(f"规则包无效 / invalid rule pack {file}: {exc}") from exc
    return manifest, instances


def load_rulebase(packs: list[Path] | None = None, templates: dict[str, Template] | None = None) -> RuleBase:
    tpls = templates if templates is not None else load_templates()
    instances: dict[str, Instance] = {}
    source: dict[str, Path] = {}
    versions: dict[str, str] = {}
    for pack in packs or [NATIONAL_PACK]:
        manifest, rows = _load_pack(pack)
        versions[manifest.name] = manifest.version
        for inst, src in rows:
            if inst.template not in tpls:
                raise RuleError(f"规则实例引用了不存在的模板 / instance {inst.id} uses unknown template {inst.template}")
            instances[inst.id] = inst
            source[inst.id] = src
    for inst in instances.values():
        tpl = tpls[inst.template]
        specs = {p.name: p for p in tpl.params}
        extra = set(inst.params) - set(specs)
        if extra:
            raise RuleError(f"{source[inst.id]}：规则实例 {inst.id} 含未知参数 / unknown parameters: {sorted(extra)}")
        for name, value in inst.params.items():
            problem = param_problem(specs[name], value)
            if problem:
                raise RuleError(f"{source[inst.id]}：规则实例 {inst.id} 的参数 {name} 取值{problem}")
    return RuleBase(tpls, instances, versions)


def check_columns(template: Template, columns: list[str], where: str = "") -> None:
    """A template's SQL must return the core finding columns and its declared evidence."""
    missing = [c for c in (*CORE_COLUMNS, *template.evidence) if c not in columns]
    if missing:
        raise RuleError(f"规则模板 {template.id} 的SQL{f'（{where}）' if where else ''}缺少输出列 / "
                        f"SQL misses columns: {missing}")
