"""Downloadable spreadsheet template for village committees."""

import io

from fastapi import APIRouter, Response

from models.sheets.files import template

router = APIRouter(prefix="/v1/templates", tags=["templates"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/people.xlsx",
    summary="The people template: Chinese headers, allowed values, dropdowns",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "the template"}},
)
async def people_template() -> Response:
    buffer = io.BytesIO()
    template(buffer)
    return Response(
        buffer.getvalue(),
        media_type=XLSX,
        headers={"content-disposition": 'attachment; filename="people.xlsx"'},
    )
