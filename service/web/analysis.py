"""Analysts: a stored review or an uploaded population, tunable parameters, a simulation
or a sweep — through the same guard rails and computation as POST /v1/simulations.

The parameter form is generated from the data of GET /v1/parameters (unit, range,
the value in force); a refused value is shown beside its parameter.
"""

import tempfile
from pathlib import Path
from zipfile import BadZipFile

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session, select

from evaluation import cohort
from evaluation.overrides import OverrideError
from models.errors import LiushouError
from models.review_tables import Review
from models.sheets.files import SheetError, SheetLimits, SheetTooLarge
from models.sheets.labelled import read as read_population
from service.access import may_see
from service.problems import ProblemError, as_problem
from service.routers.catalog import list_parameters
from service.simulations import SimulationRequest, checked, compute, population_of
from service.web.errors import sheet_too_large_zh
from service.web.forms import parameter_rows
from service.web.pages import PostedForm, Role, page
from service.web.reviews import REVIEWS_LISTED, SUFFIXES

router = APIRouter(include_in_schema=False)
Analyst = Role("analyst", "system")
ANALYSIS_PATH = "/analysis"
CHANGED_LISTED = 50
GROUP_ZH = {
    "score": "等级分界（积分）",
    "income": "收入与低保",
    "deadline": "办理时限",
    "points": "各项积分",
    "child": "儿童",
    "elder": "老人",
    "model": "模型",
}
UNIT_ZH = {
    "point": "分",
    "year": "岁（年）",
    "hour": "小时",
    "month": "月",
    "day": "天",
    "percent": "%",
    "per_month": "次/月",
    "probability": "概率（0–1）",
    "yuan_per_year": "元/年",
}


async def _context(request: Request, caller) -> dict:
    parameters = parameter_rows(await list_parameters(request.app.state.assessor))
    statement = select(Review).order_by(Review.id.desc()).limit(REVIEWS_LISTED)
    with Session(request.app.state.store) as session:
        reviews = [r for r in session.exec(statement) if may_see(caller, r.township, r.village)]
    groups: dict[str, list[dict]] = {}
    for parameter in parameters:
        groups.setdefault(parameter["name"].split(".")[0], []).append(parameter)
    return {
        "parameters": parameters,
        "groups": [(key, GROUP_ZH.get(key, key), items) for key, items in groups.items()],
        "unit_zh": UNIT_ZH,
        "reviews": reviews,
    }


@router.get(ANALYSIS_PATH)
async def analysis_form(request: Request, caller: Analyst):
    context = await _context(request, caller)
    values = {"source": "review" if context["reviews"] else "upload"}
    return page(
        request, "analysis.html", caller, values=values, errors={}, error_names=[], **context
    )


@router.post(ANALYSIS_PATH)
async def analysis(request: Request, caller: Analyst, form: PostedForm):
    context = await _context(request, caller)
    names = [p["name"] for p in context["parameters"]]
    values = {k: str(form.get(k) or "").strip()[:64] for k in _FIELDS}
    values |= {f"p:{n}": str(form.get(f"p:{n}") or "").strip()[:64] for n in names}
    errors = _errors(values, form.get("file"), names)
    result, status = None, 200
    if not errors:
        upload = form.get("file") if values["source"] == "upload" else None
        data = await upload.read() if upload is not None else None
        filename = upload.filename if upload is not None else ""
        try:
            result = await run_in_threadpool(_run, request, caller, values, names, data, filename)
        except OverrideError as exc:  # a guard rail: said beside its field, in Chinese
            errors = override_errors(exc, values)
        except SheetTooLarge as exc:
            errors, status = {"file": sheet_too_large_zh(exc)}, 413
        except (SheetError, BadZipFile):
            errors = dict(UNREADABLE)
        except LiushouError as exc:  # a review not found or stored without its facts
            errors = _problem_errors(as_problem(exc), values)
        except ValueError:
            errors = dict(UNREADABLE)
    if errors and status == 200:
        status = 400
    return page(
        request,
        "analysis.html",
        caller,
        status,
        values=values,
        errors=errors,
        error_names=[k.removeprefix("p:") for k in errors],
        result=result,
        changed_listed=CHANGED_LISTED,
        **context,
    )


_FIELDS = (
    "source",
    "review_id",
    "run",
    "sweep_parameter",
    "sweep_start",
    "sweep_stop",
    "sweep_step",
)


def _errors(values: dict, upload, names: list[str]) -> dict[str, str]:
    errors = {}
    if values["source"] == "review":
        if not values["review_id"].isdigit():
            errors["review_id"] = "请选择一次已保存的复核"
    elif values["source"] == "upload":
        if upload is None or isinstance(upload, str) or not upload.filename:
            errors["file"] = "请选择人员名单文件"
        elif Path(upload.filename).suffix.lower() not in SUFFIXES:
            errors["file"] = "文件应为 .xlsx 或 .csv"
    else:
        errors["source"] = "请选择人员来源"
    if values["run"] == "sweep":
        if values["sweep_parameter"] not in names:
            errors["sweep_parameter"] = "请选择要扫描的参数"
        for key, label in (("sweep_start", "起点"), ("sweep_stop", "终点"), ("sweep_step", "步长")):
            if not _is_number(values[key]):
                errors[key] = f"请填写{label}（数字）"
    elif values["run"] != "simulate":
        errors["run"] = "请选择运行模拟或扫描"
    return errors


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


UNREADABLE = {"file": "无法读取此文件：请用名单模板，另存为 .xlsx，或 UTF-8 编码的 .csv"}


def _run(request, caller, values: dict, names: list[str], data: bytes | None, filename: str):
    ruleset = request.app.state.assessor.ruleset
    raw = {n: values[f"p:{n}"] for n in names if values[f"p:{n}"]}
    sweep_text = None
    if values["run"] == "sweep":
        start, stop, step = (values[k] for k in ("sweep_start", "sweep_stop", "sweep_step"))
        sweep_text = f"{values['sweep_parameter']}={start}:{stop}:{step}"
    overrides, swept = checked(raw, sweep_text, ruleset)
    if data is None:
        body = SimulationRequest(review_id=int(values["review_id"]), changed_limit=CHANGED_LISTED)
        limit = request.app.state.settings.max_simulation_records
        with Session(request.app.state.store) as session:
            population, _ = population_of(session, caller, body, ruleset, limit)
        rejected = []
    else:
        population, rejected = _uploaded(request, data, filename, ruleset)
    result = compute(population, ruleset, overrides, swept, True, CHANGED_LISTED)
    result["rejected"] = rejected
    return result


def _uploaded(request, data: bytes, filename: str, ruleset):
    """A population sheet, read exactly as `liushou simulate` reads one; at most
    LIUSHOU_MAX_SIMULATION_RECORDS rows (SheetTooLarge before they are read)."""
    suffix = Path(filename).suffix.lower()
    limits = SheetLimits(rows=request.app.state.settings.max_simulation_records)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"population{suffix}"
        path.write_bytes(data)
        sheet = read_population(path, limits=limits)
    population = cohort.from_table(sheet.table, ruleset, sheet.outcomes, sheet.sha256)
    return population, [{"row": r, "reason": why} for r, why in sheet.rejected]


# The guard rails of evaluation.overrides and evaluation.sweep, by OverrideError.kind
OVERRIDE_ZH = {
    "unknown": "没有这个参数",
    "fixed": "这是政策规定的数值（{reference}），不能改",
    "not_a_number": "请填写数字（单位：{unit_zh}）",
    "not_whole": "请填写整数（单位：{unit_zh}）",
    "unit": "单位不对：只填数字，单位是{unit_zh}",
    "outside_range": "{value} 超出范围 {low}–{high}（单位：{unit_zh}）",
    "sweep_numbers": "起点、终点和步长都应是数字",
    "sweep_step": "步长须大于 0，终点不能小于起点",
    "sweep_too_many": "取值太多（{count} 个；一次最多 {most} 个），请加大步长或缩小范围",
    "syntax": "格式不对",
}
# where a sweep's refusal is shown (a value out of range: beside the parameter swept)
SWEEP_FIELDS = {
    "sweep_numbers": "sweep_start",
    "sweep_step": "sweep_step",
    "sweep_too_many": "sweep_step",
}


def override_zh(exc: OverrideError) -> str:
    """A refused override in plain words (never the English)."""
    values = {k: _n(v) if isinstance(v, int | float) else v for k, v in exc.values.items()}
    unit = str(exc.values.get("unit", ""))
    values["unit_zh"] = UNIT_ZH.get(unit, unit)
    return OVERRIDE_ZH.get(exc.kind, "不接受这个值").format_map(_Blank(values))


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "—"


def _n(value: int | float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def override_errors(exc: OverrideError, values: dict) -> dict[str, str]:
    """A refused override beside its parameter; a refused sweep beside the sweep's field."""
    key = f"p:{exc.parameter}"
    if exc.where == "sweep" or key not in values:
        key = SWEEP_FIELDS.get(exc.kind, "sweep_parameter")
    return {key: override_zh(exc)}


def _problem_errors(exc: ProblemError, values: dict) -> dict[str, str]:
    """An API error beside the field it is about, in plain words."""
    if values["source"] == "review":
        reasons = {
            404: "没有这次复核，或您的密钥无权查看",
            409: "这次复核保存时未保留事实，请重新复核",
        }
        return {"review_id": reasons.get(exc.status, "无法使用这次复核")}
    return {"file": "无法使用此文件"}
