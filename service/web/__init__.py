"""The web pages for people (village committees, analysts), served at ``/`` beside the API.

Server-rendered (Jinja2), in Chinese, with one small script that only adds a
progress note to uploads; everything works without it. Sign-in with an API key
once gives a signed session cookie (service.web.session); the roles and scopes
are the API's (service.access).

    install(app, settings)      # in service.app.create_app

Adding pages (e.g. the follow-up tasks of a department key): a router module here,
listed in ROUTERS, and its links in templates/home.html and templates/base.html.
"""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from service.settings import Settings
from service.web import analysis, auth, person, reviews, tasks
from service.web.errors import ProblemPages
from service.web.pages import HERE, Web, install_handlers

ROUTERS = (auth, reviews, person, analysis, tasks)
# Form posts that carry a spreadsheet: the upload limit applies, not the body limit.
UPLOAD_PATHS = (reviews.UPLOAD_PATH, analysis.ANALYSIS_PATH)


def install(app: FastAPI, settings: Settings) -> None:
    app.state.web = Web.build(settings)
    install_handlers(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in ROUTERS:
        app.include_router(module.router)
    # Outermost (added last): the body limit's, the parser's and the last-resort errors
    # answered to a page's address become pages (service.web.errors).
    app.add_middleware(ProblemPages, uploads=UPLOAD_PATHS)
